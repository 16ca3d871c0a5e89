/**
 * Text helpers with Go's definitions, so the parser splits and trims exactly where BuildKit does:
 * `unicode.IsSpace` (which differs from JavaScript's `\s`) and the parser's `[\t\v\f\r ]+` separator.
 */

const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const leadingSpace = new RegExp(`^[${GO_SPACE}]+`);
const trailingSpace = new RegExp(`[${GO_SPACE}]+$`);
const oneSpace = new RegExp(`^[${GO_SPACE}]$`);

/** Go's `unicode.IsSpace` for one character. */
export function isGoSpace(ch: string): boolean {
  return oneSpace.test(ch);
}

/** Go's `strings.TrimLeftFunc(s, unicode.IsSpace)`. */
export function trimLeftGo(s: string): string {
  return s.replace(leadingSpace, '');
}

/** Go's `strings.TrimSpace`. */
export function trimGo(s: string): string {
  return s.replace(leadingSpace, '').replace(trailingSpace, '');
}

/** The parser's word separator: tabs, vertical tabs, form feeds, carriage returns and spaces (not newlines). */
export const DOCKERFILE_WHITESPACE = /[\t\v\f\r ]+/;

/** Go's `regexp.Split(s, -1)` on {@link DOCKERFILE_WHITESPACE}. */
export function splitWhitespace(s: string): string[] {
  return s.split(/[\t\v\f\r ]+/);
}

/** Go's `regexp.Split(s, 2)` on {@link DOCKERFILE_WHITESPACE}: the first word and the rest, verbatim. */
export function splitFirstWord(s: string): [string] | [string, string] {
  const m = DOCKERFILE_WHITESPACE.exec(s);
  if (!m) return [s];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

/** Edit distance with adjacent swaps counted as one edit. */
function editDistance(a: string, b: string): number {
  const prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, prev2[j - 2]! + 1);
      cur.push(best);
    }
    prev2.splice(0, prev2.length, ...prev);
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name closest to `typed` (case-insensitive), if it is close enough to be a typo. */
export function closest(typed: string, known: Iterable<string>): string | undefined {
  const t = typed.toLowerCase();
  const limit = Math.max(1, Math.floor(t.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of known) {
    const d = editDistance(t, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}
