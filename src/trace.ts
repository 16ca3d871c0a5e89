/**
 * Timing spans for finding where a command spends its time (issue 16): with HAFEN_TRACE=1 each span
 * is printed to stderr as it ends (`trace +812ms create-container s1 34ms`, the offset counted from
 * the process's start) and a summary per span name (count, total, max) when the process exits.
 * Without it a span costs one branch. The supervisor's lines go to its log (its stderr).
 */

const enabled = process.env.HAFEN_TRACE === '1';

interface Totals {
  count: number;
  total: number;
  max: number;
}

const totals = new Map<string, Totals>();

function write(line: string): void {
  process.stderr.write(`trace +${performance.now().toFixed(0)}ms ${line}\n`);
}

function record(name: string, detail: string | undefined, ms: number): void {
  if (totals.size === 0) process.once('exit', printSummary);
  const t = totals.get(name) ?? { count: 0, total: 0, max: 0 };
  t.count++;
  t.total += ms;
  t.max = Math.max(t.max, ms);
  totals.set(name, t);
  write(`${name}${detail ? ` ${detail}` : ''} ${ms.toFixed(1)}ms`);
}

function printSummary(): void {
  const rows = [...totals].sort((a, b) => b[1].total - a[1].total);
  for (const [name, t] of rows) write(`summary ${name}: ${t.count}x, total ${t.total.toFixed(0)}ms, max ${t.max.toFixed(1)}ms`);
}

/** Whether spans are recorded (HAFEN_TRACE=1). */
export function tracing(): boolean {
  return enabled;
}

/** Runs `fn` as the span `name` (`detail` names what it worked on: a container, a network). */
export async function traced<T>(name: string, detail: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    record(name, detail, performance.now() - t0);
  }
}

/** Notes a moment (`cli-start`, `plan-ready`) with its offset from the process's start. */
export function traceMark(name: string): void {
  if (enabled) write(`mark ${name}`);
}
