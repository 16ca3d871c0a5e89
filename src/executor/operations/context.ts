/** What an operation function gets besides its node: the runtime, the stack, time, and where to report. */
import type { Millis, Stack } from '../../config/model.js';
import type { OperationKind, PlanNodeOf } from '../../planner/plan.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Clock } from '../clock.js';
import type { EventInput, ServiceState, Subject } from '../events.js';
import type { ResolveEndpoint } from '../readiness/endpoint.js';

/** Shared by every operation of one run. */
export interface OperationContext {
  readonly runtime: Runtime;
  readonly stack: Stack;
  readonly clock: Clock;
  /** Aborted when the run stops (a failure elsewhere, or an interrupt): waits give up at once. */
  readonly signal: AbortSignal;
  /** The longest one wait-ready or wait-exit node may wait. */
  readonly waitTimeout: Millis;
  /** Where a `ready:` tcp/http probe connects for a container port. */
  readonly resolveEndpoint: ResolveEndpoint;
  /** Reports an event; the executor stamps its time. */
  emit(event: EventInput): void;
}

/** Translates one plan node into runtime calls; resolves when the operation is done. */
export type OperationFn<K extends OperationKind> = (node: PlanNodeOf<K>, ctx: OperationContext) => Promise<void>;

/** One function per operation kind; a missing one fails to compile. */
export type Operations = { [K in OperationKind]: OperationFn<K> };

/** Reports a container's (or service's) new state. */
export function reportState(
  ctx: OperationContext,
  subject: Subject,
  state: ServiceState,
  extra: { detail?: string; exitCode?: number } = {},
): void {
  ctx.emit({ kind: 'service-state', ...subject, state, ...extra });
}
