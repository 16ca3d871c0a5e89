/** Words the text renderers share: how a resource, an operation's progress and a state read. */
import type { ErrorInfo, OpFields, ServiceState } from '../executor/events.js';
import { formatDuration } from '../format/duration.js';
import { assertNever, type OperationKind } from '../planner/plan.js';

/** `network:shop_default` → `network shop_default`. */
export function resourceLabel(resource: string): string {
  const at = resource.indexOf(':');
  return at < 0 ? resource : `${resource.slice(0, at)} ${resource.slice(at + 1)}`;
}

/** What a line about an operation is labelled with: its container or service, else its resource. */
export function opLabel(e: OpFields): string {
  return e.name ?? resourceLabel(e.resource);
}

/** Whether an operation's progress is told by `service-state` events rather than its own. */
export function isContainerOp(op: OperationKind): boolean {
  switch (op) {
    case 'create-container':
    case 'start-container':
    case 'stop-container':
    case 'remove-container':
    case 'wait-ready':
    case 'wait-exit':
      return true;
    case 'create-network':
    case 'create-volume':
    case 'build-image':
    case 'pull-image':
    case 'import-image':
    case 'remove-network':
    case 'remove-volume':
    case 'remove-image':
      return false;
    default:
      return assertNever(op);
  }
}

/** A resource operation under way: `building`, `creating`, …; undefined for container operations. */
export function opBusyText(op: OperationKind): string | undefined {
  if (isContainerOp(op)) return undefined;
  if (op === 'build-image') return 'building';
  if (op === 'pull-image') return 'pulling';
  if (op === 'import-image') return 'importing';
  return op.startsWith('create-') ? 'creating' : 'removing';
}

/** A resource operation done: `created`, `built (3.2s)`, …; undefined for container operations. */
export function opDoneText(op: OperationKind, ms: number): string | undefined {
  if (isContainerOp(op)) return undefined;
  if (op === 'build-image') return `built (${formatDuration(ms)})`;
  if (op === 'pull-image') return `pulled (${formatDuration(ms)})`;
  if (op === 'import-image') return `imported (${formatDuration(ms)})`;
  return op.startsWith('create-') ? 'created' : 'removed';
}

/** Whether a state is the end of a container's way in this run, as far as a live view is concerned. */
export function isFinalState(state: ServiceState): boolean {
  switch (state) {
    case 'ready':
    case 'exited':
    case 'failed':
    case 'removed':
      return true;
    case 'waiting':
    case 'creating':
    case 'created':
    case 'starting':
    case 'running':
    case 'checking':
    case 'stopping':
    case 'stopped':
    case 'removing':
      return false;
    default:
      return assertNever(state);
  }
}

/** A state as a word or two: `started`, `ready (1.2s)`, `exited 3`. */
export function stateText(state: ServiceState, e: { detail?: string; exitCode?: number }, sinceStart?: number): string {
  switch (state) {
    case 'running':
      return 'started';
    case 'ready':
      return sinceStart === undefined ? 'ready' : `ready (${formatDuration(sinceStart)})`;
    case 'exited':
      return `exited ${e.exitCode ?? '?'}${e.detail ? ` (${e.detail})` : ''}`;
    case 'failed':
      return e.detail ? `failed: ${e.detail}` : 'failed';
    case 'checking':
      return e.detail ? `checking ${e.detail}` : 'checking';
    default:
      return state;
  }
}

/** A failure as lines: the headline, then the log tail of a readiness failure, or the rest of the message. */
export function failureLines(error: ErrorInfo): { headline: string; more: string[]; logTail: string[] } {
  if (error.check !== undefined && error.reason !== undefined) {
    return { headline: `${error.check}: ${error.reason}`, more: [], logTail: error.logTail ?? [] };
  }
  const [headline = '', ...more] = error.message.split('\n');
  return { headline, more, logTail: [] };
}

/** How a state reads at a glance, for colours and marks. */
export type Tone = 'idle' | 'busy' | 'ok' | 'fail';

/** The tone of a container's state. */
export function stateTone(state: ServiceState, exitCode?: number): Tone {
  switch (state) {
    case 'waiting':
    case 'created':
    case 'stopped':
      return 'idle';
    case 'creating':
    case 'starting':
    case 'checking':
    case 'stopping':
    case 'removing':
      return 'busy';
    case 'running':
    case 'ready':
    case 'removed':
      return 'ok';
    case 'exited':
      return exitCode === 0 ? 'ok' : 'fail';
    case 'failed':
      return 'fail';
    default:
      return assertNever(state);
  }
}
