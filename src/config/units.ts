/** Durations (`1m30s`, `500ms`) to milliseconds and sizes (`256m`, `1g`) to bytes, and back. */
import { ValueError } from './issues.js';
import type { Bytes, Millis } from './model.js';

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;

/** Parses a Go-style duration (`1m30s`, `500ms`, `2h`, `1.5s`, `0`) into milliseconds. */
export function parseDuration(text: string): Millis {
  if (text === '0') return 0;
  if (!DURATION.test(text)) throw new ValueError(`expected a duration like 1m30s, 500ms, 2h or 1.5s, got ${JSON.stringify(text)}`);
  let ms = 0;
  for (const [, n, unit] of text.matchAll(DURATION_PART)) ms += Number(n) * DURATION_UNITS[unit!]!;
  return Math.round(ms * 1000) / 1000; // to the microsecond: 1.1s is 1100, not 1100.0000000000002
}

/** Writes milliseconds the way a stack file does: `1m30s`, `500ms`, `0s`. */
export function formatDuration(ms: Millis): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  rest = Math.round(rest * 1000) / 1000;
  if (rest > 0) out += `${rest}ms`;
  return out;
}

const SIZE = /^(\d+(?:\.\d+)?)([bkmgt]|[kmgt]i?b)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses a size (`256m`, `1g`, `512k`, `100b`, `1.5gb`, a number of bytes) into bytes; units are binary. */
export function parseSize(value: string | number): Bytes {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new ValueError(`expected a size like 256m, 1g or a whole number of bytes, got ${value}`);
  }
  const m = SIZE.exec(value.trim());
  if (!m) throw new ValueError(`expected a size like 256m, 1g, 512k or a number of bytes, got ${JSON.stringify(value)}`);
  const unit = (m[2] ?? 'b').charAt(0).toLowerCase();
  return Math.round(Number(m[1]) * SIZE_UNITS[unit]!);
}

/** Parses a CPU count (`0.5`, `"2"`); it must be more than 0. */
export function parseCpus(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n > 0)) throw new ValueError(`expected a number of CPUs more than 0 like 0.5 or 2, got ${JSON.stringify(value)}`);
  return n;
}
