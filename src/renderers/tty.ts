/**
 * The terminal renderer: a live line per container (and per image, network, volume being worked
 * on), redrawn in place with ANSI cursor movement; a line that reaches its end (ready, exited,
 * failed, created, built …) is printed once above the live ones and kept, as Ink's <Static> does.
 * Log lines and failures print above the live lines too. Colour comes from the chalk instance
 * passed in (level 0 under NO_COLOR). `choose.ts` falls back to plain when the output is no terminal.
 */
import type { ChalkInstance } from 'chalk';
import { formatDuration } from '../format/duration.js';
import type { Event, EventSink, ServiceState } from '../executor/events.js';
import { assertNever } from '../planner/plan.js';
import { failureLines, isContainerOp, isFinalState, opBusyText, opDoneText, opLabel, stateText, stateTone, type Tone } from './describe.js';

/** A terminal to draw on. */
export interface TtyTarget {
  write(text: string): unknown;
  /** Width; lines are cut to fit so redrawing never wraps. */
  columns?: number;
  /** Height; live lines beyond it are summed up in one. */
  rows?: number;
}


interface Row {
  label: string;
  text: string;
  tone: Tone;
}

const SYMBOL: Record<Tone, string> = { idle: '·', busy: '…', ok: '✔', fail: '✘' };
const UP = (n: number): string => `\x1b[${n}A\r`;
const CLEAR_DOWN = '\x1b[J';

/** A sink that draws live lines on a terminal. */
export function ttyRenderer(target: TtyTarget, chalk: ChalkInstance): EventSink {
  const theme: Record<Tone, (s: string) => string> = { idle: chalk.dim, busy: chalk.yellow, ok: chalk.green, fail: chalk.red };
  const palette = [chalk.cyan, chalk.magenta, chalk.blue, chalk.green, chalk.yellow];
  const serviceColor = new Map<string, (s: string) => string>();
  const live = new Map<string, Row>();
  const labels = new Map<number, string>();
  const startedAt = new Map<string, number>();
  let width = 0;
  let drawn = 0;
  let finished = false;

  /** One line, cut to the terminal's width so that redrawing never wraps. */
  const format = (row: Row): string => {
    const room = target.columns ? Math.max(2, target.columns - 1) : Infinity;
    const full = `${SYMBOL[row.tone]} ${row.label.padEnd(width)}  ${row.text}`;
    const shown = full.length <= room ? full : `${full.slice(0, room - 1)}…`;
    const rest = shown.slice(1);
    return theme[row.tone](shown.slice(0, 1)) + (row.tone === 'idle' || row.tone === 'fail' ? theme[row.tone](rest) : rest);
  };
  const liveLines = (): string[] => {
    const rows = [...live.values()];
    const room = target.rows ? Math.max(1, target.rows - 1) : Infinity;
    if (rows.length <= room) return rows.map(format);
    return [...rows.slice(0, room - 1).map(format), chalk.dim(`  … ${rows.length - room + 1} more`)];
  };
  /** Redraws the live lines, printing `above` first. */
  const paint = (above: string[] = []): void => {
    const lines = finished ? [] : liveLines();
    const text = (drawn > 0 ? UP(drawn) + CLEAR_DOWN : '') + [...above, ...lines].map((l) => `${l}\n`).join('');
    drawn = lines.length;
    if (text) target.write(text);
  };
  const set = (key: string, row: Row): void => {
    live.set(key, row);
    paint();
  };
  /** Ends a line: it leaves the live ones and is printed for good, with `after` below it. */
  const commit = (key: string, row: Row, after: string[] = []): void => {
    live.delete(key);
    paint([format(row), ...after]);
  };
  const colorOf = (service: string): ((s: string) => string) => {
    let color = serviceColor.get(service);
    if (!color) serviceColor.set(service, (color = palette[serviceColor.size % palette.length]!));
    return color;
  };

  return (e: Event) => {
    switch (e.kind) {
      case 'plan-start':
        width = Math.max(0, ...e.names.map((n) => n.length));
        return;
      case 'op-start': {
        labels.set(e.id, opLabel(e));
        const busy = opBusyText(e.operation);
        if (busy) set(e.resource, { label: opLabel(e), text: busy, tone: 'busy' });
        return;
      }
      case 'op-progress':
        if (!isContainerOp(e.operation)) set(e.resource, { label: opLabel(e), text: `${opBusyText(e.operation)}: ${e.text}`, tone: 'busy' });
        return;
      case 'op-done': {
        const done = opDoneText(e.operation, e.ms);
        if (done) commit(e.resource, { label: opLabel(e), text: done, tone: 'ok' });
        return;
      }
      case 'op-failed': {
        const { headline, more, logTail } = failureLines(e.error);
        const details = [...more, ...(logTail.length > 0 ? ['last log lines:'] : []), ...logTail.map((l) => `| ${l}`)];
        const after = details.map((l) => theme.fail(`  ${' '.repeat(width)}  ${l}`));
        if (isContainerOp(e.operation)) paint(after);
        else commit(e.resource, { label: opLabel(e), text: `failed: ${headline}`, tone: 'fail' }, after);
        return;
      }
      case 'op-skipped': {
        const cause = e.cause !== undefined ? labels.get(e.cause) : undefined;
        const because = cause ? ` (${cause} failed)` : '';
        if (e.operation === 'start-container') commit(opLabel(e), { label: opLabel(e), text: `not started${because}`, tone: 'idle' });
        else if (!isContainerOp(e.operation)) commit(e.resource, { label: opLabel(e), text: `skipped${because}`, tone: 'idle' });
        return;
      }
      case 'service-state': {
        if (e.state === 'starting') startedAt.set(e.name, e.time);
        const since = startedAt.get(e.name);
        const row: Row = {
          label: e.name,
          text: stateText(e.state, e, since === undefined ? undefined : e.time - since),
          tone: stateTone(e.state, e.exitCode),
        };
        if (isFinalState(e.state)) commit(e.name, row);
        else set(e.name, row);
        return;
      }
      case 'probe': {
        const row = live.get(e.name);
        if (row && !e.ok) set(e.name, { ...row, text: `checking ${e.check}: ${e.detail}` });
        return;
      }
      case 'log':
        paint([`${colorOf(e.service)(e.name.padEnd(width))}  | ${e.text}`]);
        return;
      case 'plan-done': {
        const rest = [...live.values()].map(format);
        live.clear();
        finished = true;
        const summary = e.ok ? theme.ok(`done in ${formatDuration(e.ms)}`) : theme.fail(`failed after ${formatDuration(e.ms)}`);
        paint([...rest, summary]);
        return;
      }
      default:
        assertNever(e);
    }
  };
}

