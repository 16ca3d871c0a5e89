/** The hint line: the keys that matter most, as many as fit, in the order the help lists them. */
import { Text } from 'ink';
import { BINDINGS, type Binding } from '../keys.js';

/** The hint line for `width`: the best-ranked hints that fit. */
export function hintLine(width: number): string {
  const item = (b: Binding): string => `${b.keys.split(' ')[0]} ${b.hint}`;
  const hinted = BINDINGS.filter((b) => b.hint && b.keys !== '?' && !b.keys.startsWith('q'));
  const chosen = new Set<Binding>();
  let used = 0;
  for (const b of [...hinted].sort((x, y) => (x.rank ?? 99) - (y.rank ?? 99))) {
    const cost = item(b).length + (chosen.size > 0 ? 2 : 0);
    if (used + cost > width) continue;
    chosen.add(b);
    used += cost;
  }
  return hinted.filter((b) => chosen.has(b)).map(item).join('  ');
}

export function KeyHints({ width }: { width: number }) {
  return <Text dimColor>{hintLine(width)}</Text>;
}
