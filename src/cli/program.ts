/** The `stack` command line: commands, common options, and how parse errors become exit code 2. */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { version } from '../version.js';
import { buildCommand } from './commands/build.js';
import { configCommand } from './commands/config.js';
import { imagesCommand, pruneCommand, rmiCommand } from './commands/images.js';
import { planCommand } from './commands/plan.js';
import { addGlobalOptions } from './global-options.js';
import type { Output } from './output.js';

/** Builds the program; `output` receives everything it prints. */
export function buildProgram(output: Output): Command {
  const program = new Command('stack')
    .description('hafen: bring up multi-container stacks on Linux, fast, and take them down without a trace')
    .version(version, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => output.out(s.replace(/\n$/, '')),
      writeErr: (s) => output.err(s.replace(/\n$/, '')),
      // Parse errors are thrown and printed once by main(), like every other error.
      outputError: () => {},
    });
  addGlobalOptions(program);
  for (const command of [
    configCommand(output),
    planCommand(output),
    buildCommand(output),
    imagesCommand(output),
    rmiCommand(output),
    pruneCommand(output),
  ]) program.addCommand(command);
  // Every command and subcommand throws instead of exiting, so only main() decides the exit code.
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI on argv (without node and script); resolves to an exit code, or throws a StackError. */
export async function runCli(argv: string[], output: Output): Promise<number> {
  const program = buildProgram(output);
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with exit code 0; everything else commander rejects is bad usage.
      if (err.exitCode === 0) return 0;
      const hint = argv.find((a) => !a.startsWith('-'));
      throw new UsageError(`${err.message.replace(/^error: /, '')}\n(see \`stack ${hint ? `${hint} ` : ''}--help\`)`);
    }
    throw err;
  }
}
