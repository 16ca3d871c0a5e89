/**
 * The plain renderer: one line per meaningful event, for logs and CI (`--progress plain`, and what
 * `auto` and `tty` fall back to when the output is not a terminal). No colour, no cursor movement.
 *
 *   db       starting
 *   db       ready (1.2s)
 *   migrate  exited 0
 */
import type { Event, EventSink } from '../executor/events.js';
import { formatDuration } from '../format/duration.js';
import { assertNever } from '../planner/plan.js';
import { failureLines, opBusyText, opDoneText, opLabel, stateText } from './describe.js';

/** Writes text; each call is one or more whole lines, each ending in `\n`. */
export type TextWriter = (text: string) => void;

/** A sink that writes plain lines. */
export function plainRenderer(write: TextWriter): EventSink {
  let width = 0;
  const labels = new Map<number, string>();
  const startedAt = new Map<string, number>();
  const line = (label: string, text: string): void => write(`${label.padEnd(width)}  ${text}\n`);

  return (e: Event) => {
    switch (e.kind) {
      case 'plan-start':
        width = Math.max(0, ...e.names.map((n) => n.length));
        return;
      case 'op-start': {
        labels.set(e.id, opLabel(e));
        // Images take long enough to say they began; other resources only say they are done.
        if (e.operation === 'build-image' || e.operation === 'pull-image' || e.operation === 'import-image') {
          line(opLabel(e), opBusyText(e.operation)!);
        }
        return;
      }
      case 'op-progress':
        line(opLabel(e), e.text);
        return;
      case 'op-done': {
        const done = opDoneText(e.operation, e.ms);
        if (done) line(opLabel(e), done);
        return;
      }
      case 'op-failed': {
        const label = opLabel(e);
        const { headline, more, logTail } = failureLines(e.error);
        line(label, `failed: ${headline}`);
        for (const l of more) line('', l);
        if (logTail.length > 0) line(label, 'last log lines:');
        for (const l of logTail) line(label, `| ${l}`);
        return;
      }
      case 'op-skipped': {
        const label = opLabel(e);
        const cause = e.cause !== undefined ? labels.get(e.cause) : undefined;
        const because = cause ? ` (${cause} failed)` : '';
        if (e.reason === 'cancelled') line(label, 'stopped waiting');
        else if (e.operation === 'start-container') line(label, `not started${because}`);
        else if (e.operation !== 'create-container' && e.operation !== 'wait-ready' && e.operation !== 'wait-exit') {
          line(label, `skipped${because}`);
        }
        return;
      }
      case 'service-state':
        if (e.state === 'starting') startedAt.set(e.name, e.time);
        if (SHOWN.has(e.state)) {
          const since = startedAt.get(e.name);
          line(e.name, stateText(e.state, e, since === undefined ? undefined : e.time - since));
        }
        return;
      case 'probe':
        return;
      case 'log':
        write(`${e.name.padEnd(width)}  | ${e.text}\n`);
        return;
      case 'plan-done':
        write(e.ok ? `done in ${formatDuration(e.ms)}\n` : `failed after ${formatDuration(e.ms)}\n`);
        return;
      default:
        assertNever(e);
    }
  };
}

/** States worth a line of their own; the rest are steps on the way, or told by op-failed. */
const SHOWN: ReadonlySet<string> = new Set(['created', 'starting', 'running', 'ready', 'exited', 'stopped', 'removed']);
