/** `stack completion bash|zsh|fish` prints a completion script; the hidden `stack __complete` gives it service and project names. */
import fs from 'node:fs';
import { Argument, Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

/** The shells a script is made for. */
export type Shell = 'bash' | 'zsh' | 'fish';

export function completionCommand(output: Output): Command {
  return new Command('completion')
    .description('print a shell completion script (commands, options, services, projects); e.g. source <(stack completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: Shell, _flags: unknown, command: Command) => {
      const [{ completionTree }, { completionTables }, { bashScript }, { zshScript }, { fishScript }] = await Promise.all([
        import('../completion/tree.js'),
        import('../completion/tables.js'),
        import('../completion/bash.js'),
        import('../completion/zsh.js'),
        import('../completion/fish.js'),
      ]);
      const tables = completionTables(completionTree(command.parent!));
      // When `stack` is an alias or a function, the script runs this very CLI (node, then its script after `--`):
      // the file Node was started with, bundled (dist/cli.js) or not, through any bin link to it.
      const self = { argv: [process.execPath, '--', fs.realpathSync(process.argv[1]!)] };
      const make = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell];
      output.out(make(tables, self));
    });
}

/** `stack __complete services|projects`: one name a line, nothing at all when they cannot be found. */
export function completeCommand(output: Output): Command {
  return new Command('__complete')
    .description('names for shell completion (used by the completion scripts)')
    .addArgument(new Argument('<what>').choices(['services', 'projects']))
    .action(async (what: 'services' | 'projects', _flags: unknown, command: Command) => {
      const { completeServices, completeProjects } = await import('../completion/dynamic-words.js');
      let names: string[] = [];
      try {
        names = what === 'services' ? await completeServices(globalOptions(command)) : await completeProjects();
      } catch {
        // A bad HAFEN_RUNTIME, an unreadable root: the shell offers nothing rather than an error.
      }
      if (names.length) output.out(names.join('\n'));
    });
}
