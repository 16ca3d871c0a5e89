/** The completion tree as flat tables, the form every shell script is generated from. */
import { flatten, type CompletionCommand, type ValueKind } from './tree.js';

/** A word offered with what it is for (fish shows the description). */
export interface Offer {
  word: string;
  description: string;
}

/** An option that takes a value, in a command ('*': any command, for the program's own options), and what the value is. */
export interface ValueRule {
  path: string | '*';
  option: string;
  kind: string;
}

/** What the arguments of one command are, in order; the last repeats when variadic. */
export interface ArgumentRule {
  path: string;
  kinds: readonly string[];
  variadic: boolean;
}

/** Everything a generated script knows of the program. */
export interface CompletionTables {
  subcommands: ReadonlyMap<string, readonly Offer[]>;
  options: ReadonlyMap<string, readonly Offer[]>;
  values: readonly ValueRule[];
  args: readonly ArgumentRule[];
}

/** A kind as one word (`service`) or `choice` and its choices, as the scripts read it. */
export function kindWord(kind: ValueKind): string {
  return kind.kind === 'choice' ? ['choice', ...kind.choices].join(' ') : kind.kind;
}

/** The tables of a completion tree (its root is the program). */
export function completionTables(tree: CompletionCommand): CompletionTables {
  const commands = flatten(tree);
  const firstLine = (s: string) => s.split('\n')[0]!;
  const subcommands = new Map(commands.filter((c) => c.subcommands.length).map((c) => [c.path, c.subcommands.map((s) => ({ word: s.name, description: firstLine(s.description) }))]));
  const options = new Map(commands.map((c) => [c.path, c.options.flatMap((o) => o.names.map((word) => ({ word, description: firstLine(o.description) })))]));
  const values: ValueRule[] = [];
  // A command's own options first: its `-t` may take a value where another command's does not.
  for (const c of commands.filter((c) => c.path !== '')) {
    for (const o of c.options) if (o.value) for (const option of o.names) values.push({ path: c.path, option, kind: kindWord(o.value) });
  }
  // A command's own flag that shadows a common option taking a value (`logs -f`, `rm -f`) takes none
  // after the command's name (argv-facts.ts): an empty kind, before the common option's rule.
  const commonWithValue = new Set(tree.options.filter((o) => o.value).flatMap((o) => o.names));
  for (const c of commands.filter((c) => c.path !== '')) {
    for (const o of c.options) if (!o.value) for (const option of o.names) if (commonWithValue.has(option)) values.push({ path: c.path, option, kind: '' });
  }
  for (const o of tree.options) if (o.value) for (const option of o.names) values.push({ path: '*', option, kind: kindWord(o.value) });
  const args = commands.filter((c) => c.args.length).map((c) => ({ path: c.path, kinds: c.args.map(kindWord), variadic: c.variadic }));
  return { subcommands, options, values, args };
}

/** Quotes a string for sh, bash, zsh and fish alike: single quotes, with a quote inside closed and reopened. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
