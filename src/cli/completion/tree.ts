/**
 * What shell completion needs of the `stack` program, read from commander's tree: each command's
 * path, options (and what their values are), subcommands and what its arguments are. The shell
 * scripts are generated from this, so a new command or option completes without touching them.
 */
import type { Command, Option } from 'commander';

/** What a word completes to: nothing we can guess, files, folders, project or service names, commands, or fixed choices. */
export type ValueKind =
  | { kind: 'any' }
  | { kind: 'file' }
  | { kind: 'dir' }
  | { kind: 'project' }
  | { kind: 'service' }
  | { kind: 'command' }
  /** The container's command of `run`/`exec`: from here on no word is ours (options included). */
  | { kind: 'rest' }
  | { kind: 'choice'; choices: readonly string[] };

/** One option: its spellings (`-d`, `--detach`), what it is for, and its value when it takes one. */
export interface CompletionOption {
  names: readonly string[];
  description: string;
  value?: ValueKind;
}

/** One command: its path under `stack` (`up`, `image save`; '' is the program), options, subcommands, arguments. */
export interface CompletionCommand {
  path: string;
  name: string;
  description: string;
  options: readonly CompletionOption[];
  subcommands: readonly CompletionCommand[];
  /** What the next argument is, by how many were given (the last entry repeats when variadic); empty: none. */
  args: readonly ValueKind[];
  variadic: boolean;
}

/** Options of the program whose values say which stack a command means: passed on to `stack __complete`. */
export const CONTEXT_OPTIONS: readonly string[] = ['-f', '--file', '-p', '--project-name', '--project-directory', '--env-file', '--profile', '--runtime'];

/** Values we can complete, by option name; others (numbers, durations, KEY=VALUE) are the user's to type. */
const OPTION_VALUES: Readonly<Record<string, ValueKind>> = {
  '--file': { kind: 'file' },
  '--env-file': { kind: 'file' },
  '--output': { kind: 'file' },
  '--project-directory': { kind: 'dir' },
  '--project-name': { kind: 'project' },
  '--exit-code-from': { kind: 'service' },
  '--attach': { kind: 'service' },
  '--no-attach': { kind: 'service' },
  '--attach-dependencies': { kind: 'service' },
};

/** Arguments by their name in the command's usage. */
const ARGUMENT_VALUES: Readonly<Record<string, ValueKind>> = {
  services: { kind: 'service' },
  service: { kind: 'service' },
  file: { kind: 'file' },
  command: { kind: 'rest' },
};

function optionValue(o: Option): ValueKind | undefined {
  if (!o.required && !o.optional) return undefined;
  if (o.argChoices?.length) return { kind: 'choice', choices: o.argChoices };
  return (o.long ? OPTION_VALUES[o.long] : undefined) ?? { kind: 'any' };
}

/** Hidden helpers (`__complete`) are not offered. */
const offered = (c: Command): boolean => !c.name().startsWith('__');

/** The completion tree of a built program. */
export function completionTree(program: Command, parentPath = ''): CompletionCommand {
  const path = parentPath;
  const options = program.options
    .filter((o) => !o.hidden)
    .map((o) => {
      const value = optionValue(o);
      return { names: [o.short, o.long].filter((n): n is string => Boolean(n)), description: o.description, ...(value ? { value } : {}) };
    });
  const help = { names: ['-h', '--help'], description: 'display help for command' };
  const subcommands = program.commands.filter(offered).map((c) => completionTree(c, path ? `${path} ${c.name()}` : c.name()));
  // commander's own `help [command]` is made on demand, so it is not among program.commands.
  if (!parentPath && !subcommands.some((c) => c.name === 'help')) {
    subcommands.push({ path: 'help', name: 'help', description: 'display help for command', options: [], subcommands: [], args: [{ kind: 'command' }], variadic: false });
  }
  const args = program.registeredArguments.map((a): ValueKind =>
    a.argChoices?.length ? { kind: 'choice', choices: a.argChoices } : (ARGUMENT_VALUES[a.name()] ?? { kind: 'any' }),
  );
  return {
    path,
    name: program.name(),
    description: program.description(),
    options: options.some((o) => o.names.includes('--help')) ? options : [...options, help],
    subcommands,
    args,
    variadic: program.registeredArguments.at(-1)?.variadic ?? false,
  };
}

/** Every command of the tree, depth first, the program first. */
export function flatten(tree: CompletionCommand): CompletionCommand[] {
  return [tree, ...tree.subcommands.flatMap(flatten)];
}
