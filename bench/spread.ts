/** Figures of repeated runs for the benchmarks: the median and the range. */

/** The median, range and count of repeated runs' measures. */
export interface Figures {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** The figures of `xs` (the median is the upper middle one for an even count). */
export function figures(xs: readonly number[]): Figures {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

/** The median of `xs` (the upper middle one for an even count). */
export function median(xs: readonly number[]): number {
  return figures(xs).median;
}

/** `1234 (1100–1500)`: the median and min–max, whole milliseconds. */
export function spread(xs: readonly number[]): string {
  const f = figures(xs);
  return `${f.median.toFixed(0)} (${f.min.toFixed(0)}–${f.max.toFixed(0)})`;
}
