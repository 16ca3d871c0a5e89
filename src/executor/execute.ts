/**
 * The executor: walks a plan and decides nothing. Each node goes to the operation function of its
 * kind (a `switch` ending in a `never` check); the scheduler starts it as soon as its predecessors
 * are done. Everything that happens is an event to the sink. On the first failure nothing new
 * starts and the run rejects with that failure; an abort rejects with E_INTERRUPTED.
 */
import type { Millis, Stack } from '../config/model.js';
import { InterruptedError, ReadinessError, StackError } from '../errors.js';
import { assertNever, type Plan, type PlanNode } from '../planner/plan.js';
import type { Runtime } from '../runtime/runtime.js';
import { systemClock, type Clock } from './clock.js';
import type { ErrorInfo, Event, EventInput, EventSink } from './events.js';
import { containerNames, opFields } from './names.js';
import type { OperationContext, Operations } from './operations/context.js';
import { defaultOperations } from './operations/index.js';
import { defaultResolveEndpoint, type ResolveEndpoint } from './readiness/endpoint.js';
import { walkDag } from './scheduler.js';
import { traced } from '../trace.js';

/** Operations run at once, unless told otherwise (waits and stops do not count). */
export const DEFAULT_CONCURRENCY = 8;
/** Longest one service may take to become ready, or a one-shot to exit, unless told otherwise (`--wait-timeout`). */
export const DEFAULT_WAIT_TIMEOUT: Millis = 5 * 60_000;

/**
 * Operations that mostly wait, run beside the bounded queue: readiness, and stops (a container's
 * grace period is its own; a slow stop must not hold back the stops of the others, issue 16).
 * Container removals too: each is one request to whoever owns the containers (the supervisor, the
 * engine), which queues its own work; eight at a time only added round trips to a `down` of a
 * hundred (issue 16).
 */
const WAITING: ReadonlySet<PlanNode['operation']> = new Set(['wait-ready', 'wait-exit', 'stop-container', 'remove-container']);

/** What a run needs besides the plan. */
export interface ExecuteOptions {
  runtime: Runtime;
  stack: Stack;
  /** Operations at once; default 8. */
  concurrency?: number;
  clock?: Clock;
  sink?: EventSink;
  /** Aborting stops the run: running work finishes, waits end, nothing new starts; the run rejects with E_INTERRUPTED. */
  signal?: AbortSignal;
  /** Longest one wait-ready or wait-exit node may take; default 5 minutes. */
  waitTimeout?: Millis;
  /** Replaces operations by kind (a runtime adapter's own, or a test's). */
  operations?: Partial<Operations>;
  /** Where `ready:` tcp/http probes connect; the runtime adapter's, else the container's address. */
  resolveEndpoint?: ResolveEndpoint;
}

/** A run that went through. */
export interface ExecuteResult {
  ms: Millis;
}

/** Runs `plan` against the runtime; rejects with the first failure's StackError, or E_INTERRUPTED. */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecuteResult> {
  const { runtime, stack } = options;
  const clock = options.clock ?? systemClock;
  const sink = options.sink ?? (() => undefined);
  const ops: Operations = { ...defaultOperations, ...options.operations };
  // `kind` and `time` first, so JSON lines read the same way every time.
  const emit = (event: EventInput): void => {
    const { kind, ...rest } = event;
    sink({ kind, time: clock.now(), ...rest } as Event);
  };
  const started = clock.now();
  const begun = new Map<number, number>();

  emit({
    kind: 'plan-start',
    project: plan.project,
    action: plan.action,
    nodes: plan.nodes.length,
    names: containerNames(stack, plan.nodes),
  });
  for (const node of plan.nodes) {
    if (node.operation === 'start-container') {
      const { service, name } = opFields(stack, node);
      emit({ kind: 'service-state', service: service!, name: name!, container: node.container, state: 'waiting' });
    }
  }

  const result = await walkDag(plan.nodes, {
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    holdsSlot: (node) => !WAITING.has(node.operation),
    signal: options.signal,
    run: (node, signal) => {
      const ctx: OperationContext = {
        runtime,
        stack,
        clock,
        signal,
        waitTimeout: options.waitTimeout ?? DEFAULT_WAIT_TIMEOUT,
        resolveEndpoint: options.resolveEndpoint ?? defaultResolveEndpoint,
        emit,
      };
      return traced(node.operation, node.resource, () => dispatch(node, ops, ctx));
    },
    started: (node) => {
      begun.set(node.id, clock.now());
      emit({ kind: 'op-start', ...opFields(stack, node) });
    },
    done: (node) => emit({ kind: 'op-done', ...opFields(stack, node), ms: clock.now() - begun.get(node.id)! }),
    failed: (node, error) =>
      emit({ kind: 'op-failed', ...opFields(stack, node), ms: clock.now() - begun.get(node.id)!, error: errorInfo(error) }),
    skipped: (node, reason, cause) =>
      emit({ kind: 'op-skipped', ...opFields(stack, node), reason, ...(cause !== undefined ? { cause } : {}) }),
  });

  const ms = clock.now() - started;
  const error = result.interrupted ? new InterruptedError() : result.failure?.error;
  if (error === undefined) {
    emit({ kind: 'plan-done', ok: true, ms });
    return { ms };
  }
  emit({ kind: 'plan-done', ok: false, ms, error: errorInfo(error) });
  throw error;
}

/** Sends a node to the operation of its kind. */
function dispatch(node: PlanNode, ops: Operations, ctx: OperationContext): Promise<void> {
  switch (node.operation) {
    case 'create-network':
      return ops['create-network'](node, ctx);
    case 'create-volume':
      return ops['create-volume'](node, ctx);
    case 'build-image':
      return ops['build-image'](node, ctx);
    case 'pull-image':
      return ops['pull-image'](node, ctx);
    case 'import-image':
      return ops['import-image'](node, ctx);
    case 'create-container':
      return ops['create-container'](node, ctx);
    case 'start-container':
      return ops['start-container'](node, ctx);
    case 'wait-ready':
      return ops['wait-ready'](node, ctx);
    case 'wait-exit':
      return ops['wait-exit'](node, ctx);
    case 'stop-container':
      return ops['stop-container'](node, ctx);
    case 'remove-container':
      return ops['remove-container'](node, ctx);
    case 'remove-network':
      return ops['remove-network'](node, ctx);
    case 'remove-volume':
      return ops['remove-volume'](node, ctx);
    case 'remove-image':
      return ops['remove-image'](node, ctx);
    default:
      return assertNever(node);
  }
}

/** An error as events carry it. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof ReadinessError) {
    return {
      code: error.code,
      message: error.message,
      service: error.service,
      check: error.check,
      reason: error.reason,
      logTail: [...error.logTail],
    };
  }
  if (error instanceof StackError) return { code: error.code, message: error.message };
  return { code: 'E_UNEXPECTED', message: error instanceof Error ? error.message : String(error) };
}
