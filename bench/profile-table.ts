/**
 * What bench/up-profile.ts and bench/down-profile.ts share: the CLIs they time (BENCH_CLI, one path
 * or several separated by commas, taken in turn within each run so a before/after shares the
 * machine's load), the HAFEN_TRACE=1 lines they read, and the table they print: one row per figure,
 * one column per CLI, medians and min–max.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spread } from './spread.js';

/** The CLIs to time: BENCH_CLI's paths, or this build's bundle (dist/cli.cjs). */
export function benchClis(): string[] {
  const own = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli.cjs');
  const listed = (process.env.BENCH_CLI ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  return listed.length > 0 ? listed.map((p) => path.resolve(p)) : [own];
}

/** A trace line: `trace +812ms NAME [DETAIL] 34.0ms` (a span ending at the offset) or `trace +140ms mark NAME`. */
export interface Span {
  /** Milliseconds from the process's start to the span's end (or the mark). */
  at: number;
  name: string;
  /** What followed a `known` name (a container, a network); empty otherwise. */
  detail: string;
  ms: number;
}

/** The spans and marks of a process's HAFEN_TRACE=1 output; a name starting with one of `known` is split from its detail. */
export function traceSpans(text: string, known: readonly string[] = []): Span[] {
  const out: Span[] = [];
  for (const line of text.split('\n')) {
    const span = /^trace \+(\d+)ms (.+?) ([\d.]+)ms$/.exec(line);
    if (span && !span[2]!.startsWith('summary ')) {
      const words = span[2]!;
      const name = known.find((n) => words === n || words.startsWith(`${n} `));
      out.push({ at: Number(span[1]), name: name ?? words, detail: name ? words.slice(name.length).trim() : '', ms: Number(span[3]) });
    }
    const mark = /^trace \+(\d+)ms mark (\S+)/.exec(line);
    if (mark) out.push({ at: Number(mark[1]), name: `mark ${mark[2]}`, detail: '', ms: 0 });
  }
  return out;
}

/** The figures of one timed command, ms (or counts), by row name in the order they were set. */
export type RunFigures = Map<string, number>;

/**
 * Prints `title`, then a row per figure of the first run with a column per CLI: the median and
 * min–max over that CLI's runs (`–` where no run had the figure).
 */
export function printProfile(title: string, clis: readonly string[], runs: ReadonlyArray<readonly RunFigures[]>): void {
  console.log(title);
  const keys = mergedKeys(runs.flat());
  const width = Math.max(...keys.map((k) => k.length)) + 2;
  const column = 22;
  if (clis.length > 1) clis.forEach((cli, i) => console.log(`  [${i + 1}] ${cli}`));
  if (clis.length > 1) console.log(`${''.padEnd(width)}${clis.map((_, i) => `[${i + 1}]`.padEnd(column)).join('')}`);
  for (const key of keys) {
    const cells = runs.map((list) => {
      const xs = list.map((f) => f.get(key) ?? NaN).filter((x) => !Number.isNaN(x));
      return (xs.length > 0 ? spread(xs) : '–').padEnd(column);
    });
    console.log(`${key.padEnd(width)}${cells.join('').trimEnd()}`);
  }
}

/** The row names of all `figures`, each once: a name one run lacks goes after the name it follows where it is present. */
function mergedKeys(figures: readonly RunFigures[]): string[] {
  const keys: string[] = [];
  for (const f of figures) {
    let at = 0;
    for (const key of f.keys()) {
      const found = keys.indexOf(key);
      if (found >= 0) at = found + 1;
      else keys.splice(at++, 0, key);
    }
  }
  return keys;
}
