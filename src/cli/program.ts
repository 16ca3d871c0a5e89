/** The `stack` command line: commands, common options, and how parse errors become exit code 2. */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { version } from '../version.js';
import { addGlobalOptions } from './global-options.js';
import { attachHelpText } from './help-text.js';
import type { Output } from './output.js';
import { COMMAND_LOADERS, completeLoader, completionLoader, singleCommand } from './command-table.js';
import { ownShortFlags, RUN_TAKES_VALUE } from './argv-facts.js';
import { helpLayout } from './std-write.js';

/**
 * Builds the program; `output` receives everything it prints. Given the argv it will parse, only
 * the command that argv runs is loaded and built when that can be told (command-table.ts), for
 * start-up time; so it is async.
 */
export async function buildProgram(output: Output, argv?: readonly string[]): Promise<Command> {
  const printing = {
    writeOut: (s: string) => output.out(s.replace(/\n$/, '')),
    writeErr: (s: string) => output.err(s.replace(/\n$/, '')),
    // Parse errors are thrown and printed once by main(), like every other error.
    outputError: () => {},
    ...helpLayout(), // std-write.ts: no stream made for a pipe
  };
  const program = new Command('stack')
    .description('hafen: bring up multi-container stacks on Linux, fast, and take them down without a trace')
    .version(version, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .configureOutput(printing);
  addGlobalOptions(program);
  const single = argv && singleCommand(program, argv);
  // Each command's module is loaded only here (command-table.ts): all at once when all are built.
  const factories = await Promise.all(single ? [single()] : COMMAND_LOADERS.map(([, load]) => load()));
  for (const make of factories) program.addCommand(make(output));
  // Help and completion (issue 14): after every command is in, so each gets its environment, exit codes and example.
  if (!single) {
    const [completion, complete] = await Promise.all([completionLoader(), completeLoader()]);
    program.addCommand(completion(output));
    program.addCommand(complete(output), { hidden: true });
  }
  attachHelpText(program);
  // Every command and subcommand throws instead of exiting, so only main() decides the exit code, and
  // prints through `output` (commands made apart do not inherit the program's settings).
  const override = (c: Command): void => {
    c.exitOverride();
    c.configureOutput(printing);
    c.showSuggestionAfterError(true);
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI on argv (without node and script); resolves to an exit code, or throws a StackError. */
export async function runCli(argv: string[], output: Output): Promise<number> {
  argv = ownShortFlags(argv); // `logs -f`, `rm -f`, `run -p`: the command's flags after its name, not the common ones
  const program = await buildProgram(output, commandAfterService(argv));
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(commandAfterService(argv), { from: 'user' });
    return output.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with exit code 0; everything else commander rejects is bad usage.
      if (err.exitCode === 0) return 0;
      // The help of the command given, when one is (an option's value is not a command).
      const hint = commandPath(program, argv);
      throw new UsageError(`${err.message.replace(/^error: /, '')}\n(see \`stack ${hint.map((h) => `${h} `).join('')}--help\`)`);
    }
    throw err;
  }
}

/**
 * The command (and subcommand: `image save`) named in argv, whose help a usage error points to;
 * an option's value is never taken for one, since only the first word matching a command counts.
 */
export function commandPath(program: Command, argv: readonly string[]): string[] {
  const path: string[] = [];
  let current = program;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (TAKES_VALUE.has(a)) {
      i++; // `-p up`: a value, not the command
      continue;
    }
    const next = current.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!next) continue;
    path.push(next.name());
    current = next;
    if (current.commands.length === 0) break;
  }
  return path;
}

/** Options (of `run`, `exec` and the global ones) that take a value, so their value is not taken for the service. */
const TAKES_VALUE = RUN_TAKES_VALUE;

/**
 * `stack run SERVICE CMD -x` and `stack exec SERVICE CMD -x`: everything after the service is the
 * command, options included (as docker compose reads it), so a `--` goes in after the service.
 */
export function commandAfterService(argv: string[]): string[] {
  const at = argv.findIndex((a) => a === 'run' || a === 'exec');
  if (at < 0 || argv.slice(0, at).some((a) => a === '--')) return argv;
  for (let i = at + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (a.startsWith('-')) {
      if (TAKES_VALUE.has(a)) i++;
      continue;
    }
    return i + 1 < argv.length && argv[i + 1] !== '--' ? [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)] : argv;
  }
  return argv;
}
