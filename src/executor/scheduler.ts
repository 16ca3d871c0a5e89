/**
 * Walks a DAG: each node starts the moment all it depends on are done. Work goes through a p-queue
 * (bounded concurrency); nodes that only wait (`holdsSlot` false) run beside it, so a long health
 * wait never keeps an unrelated create from starting. After a failure (or an abort) nothing new
 * starts: running work is let finish, waits are cancelled through the signal they were given, and
 * every node that did not run is reported skipped, naming the failure that blocked it if one did.
 */
import PQueue from 'p-queue';
import type { SkipReason } from './events.js';

/** What the walk needs of a node. */
export interface DagNode {
  id: number;
  dependsOn: readonly number[];
}

/** What the walk reports and asks. */
export interface WalkHooks<N extends DagNode> {
  concurrency: number;
  /** False for nodes that only wait: they run outside the queue. */
  holdsSlot(node: N): boolean;
  /** Does the node's work; `signal` aborts when the walk stops. */
  run(node: N, signal: AbortSignal): Promise<void>;
  /** Aborting stops the walk as a failure does, but is reported as an interrupt. */
  signal?: AbortSignal;
  started(node: N): void;
  done(node: N): void;
  failed(node: N, error: unknown): void;
  skipped(node: N, reason: SkipReason, cause?: number): void;
}

/** How a walk ended. */
export interface WalkResult<N extends DagNode> {
  /** The first node that failed, and how. */
  failure?: { node: N; error: unknown };
  interrupted: boolean;
}

type Status = 'pending' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Why the walk's own signal aborted: a failure or an interrupt, never an operation's own error. */
class Halt extends Error {
  constructor() {
    super('the run stopped');
    this.name = 'AbortError';
  }
}

/** Runs every node of a DAG (ids unique, dependencies among them) as early as allowed. */
export function walkDag<N extends DagNode>(nodes: readonly N[], hooks: WalkHooks<N>): Promise<WalkResult<N>> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const status = new Map<number, Status>(nodes.map((n) => [n.id, 'pending']));
  const waitingOn = new Map<number, number>();
  const dependents = new Map<number, N[]>();
  for (const node of nodes) {
    waitingOn.set(node.id, node.dependsOn.length);
    for (const dep of node.dependsOn) {
      if (!byId.has(dep) || dep === node.id) throw new Error(`plan node #${node.id} depends on unknown node #${dep}`);
      dependents.set(dep, [...(dependents.get(dep) ?? []), node]);
    }
  }

  const halt = new AbortController();
  const queue = new PQueue({ concurrency: hooks.concurrency });
  let failure: WalkResult<N>['failure'];
  let interrupted = false;
  let inflight = 0;

  return new Promise((resolve) => {
    const stop = (): void => {
      if (!halt.signal.aborted) halt.abort(new Halt());
    };
    const onInterrupt = (): void => {
      interrupted = true;
      stop();
    };

    const finish = (): void => {
      hooks.signal?.removeEventListener('abort', onInterrupt);
      // Ids are not necessarily a topological order here, so find each blocked node's failed ancestor.
      const causeOf = new Map<number, number | undefined>();
      const cause = (node: N): number | undefined => {
        if (causeOf.has(node.id)) return causeOf.get(node.id);
        causeOf.set(node.id, undefined);
        let found: number | undefined;
        for (const dep of node.dependsOn) {
          found = status.get(dep) === 'failed' ? dep : status.get(dep) === 'pending' ? cause(byId.get(dep)!) : undefined;
          if (found !== undefined) break;
        }
        causeOf.set(node.id, found);
        return found;
      };
      for (const node of nodes) {
        if (status.get(node.id) !== 'pending') continue;
        const blockedBy = cause(node);
        if (blockedBy !== undefined) hooks.skipped(node, 'dependency-failed', blockedBy);
        else hooks.skipped(node, 'stopped');
      }
      resolve({ ...(failure ? { failure } : {}), interrupted });
    };

    const settle = (): void => {
      if (--inflight === 0) finish();
    };

    const execute = async (node: N): Promise<void> => {
      if (halt.signal.aborted) {
        status.set(node.id, 'pending');
        return;
      }
      status.set(node.id, 'running');
      hooks.started(node);
      try {
        await hooks.run(node, halt.signal);
      } catch (error) {
        if (halt.signal.aborted && isAbort(error, halt.signal)) {
          status.set(node.id, 'cancelled');
          hooks.skipped(node, 'cancelled');
        } else {
          status.set(node.id, 'failed');
          hooks.failed(node, error);
          failure ??= { node, error };
          stop();
        }
        return;
      }
      status.set(node.id, 'done');
      hooks.done(node);
      if (halt.signal.aborted) return;
      for (const next of dependents.get(node.id) ?? []) {
        const left = waitingOn.get(next.id)! - 1;
        waitingOn.set(next.id, left);
        if (left === 0) launch(next);
      }
    };

    const launch = (node: N): void => {
      status.set(node.id, 'queued');
      inflight++;
      const task = (): Promise<void> => execute(node).finally(settle);
      if (hooks.holdsSlot(node)) void queue.add(task);
      else void task();
    };

    if (hooks.signal?.aborted) onInterrupt();
    else hooks.signal?.addEventListener('abort', onInterrupt, { once: true });
    inflight++; // Held while the roots launch, so the walk cannot finish half-way through.
    for (const node of nodes) if (node.dependsOn.length === 0) launch(node);
    settle();
  });
}

/** Whether an operation's error is only the walk's stop reaching it. */
function isAbort(error: unknown, signal: AbortSignal): boolean {
  return error === signal.reason || (error instanceof Error && error.name === 'AbortError');
}
