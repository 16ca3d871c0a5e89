/** Figures of repeated runs for the benchmarks: the median and the range. */

/** The median of `xs` (the upper middle one for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

/** `1234 (1100–1500)`: the median and min–max, whole milliseconds. */
export function spread(xs: readonly number[]): string {
  return `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
}
