/** Durations written the way Go's `time.ParseDuration` reads them (`1m30s`, `500ms`, `1.5h`), as HEALTHCHECK takes them. */

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds in a Go duration string; throws Go's message (`time: invalid duration "x"`) otherwise. */
export function parseGoDuration(s: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  const part = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) throw invalid();
    if (m[3] === '') {
      if (m[0] === '') throw invalid();
      throw new Error(`time: missing unit in duration ${JSON.stringify(s)}`);
    }
    const whole = m[1]!;
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) throw invalid();
    const unit = UNIT_NS[m[3]!];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(m[3])} in duration ${JSON.stringify(s)}`);
    total += Number(`${whole || '0'}.${frac ?? ''}0`) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}
