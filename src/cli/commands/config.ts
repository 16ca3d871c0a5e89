/** `stack config`: the normalized stack file, or just its validation with -q. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function configCommand(output: Output): Command {
  return new Command('config')
    .description('validate the stack file and print it normalized (every short form expanded)')
    .option('-q, --quiet', 'only validate; print nothing, exit 0 when the file is good')
    .option('--json', 'print JSON instead of YAML')
    .option('--services', 'print the service names, one per line')
    .action(async (opts: { quiet?: boolean; json?: boolean; services?: boolean }, command: Command) => {
      // Loaded on use, so `stack --help` and other commands start fast; `-q` loads only the loader.
      const { loadCheckedStack } = await import('../load.js');
      const stack = await loadCheckedStack(globalOptions(command));
      if (opts.quiet) return;
      if (opts.services) return output.out(Object.keys(stack.services).join('\n'));
      const [{ serializeStack }, { stringifyForCompose }] = await Promise.all([import('../../config/index.js'), import('../../config/yaml-output.js')]);
      const doc = serializeStack(stack);
      output.out(opts.json ? JSON.stringify(doc, null, 2) : stringifyForCompose(doc));
    });
}
