/** `stack down`: stop and remove everything of the project; nothing stays behind (volumes only without -v). */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { timeoutValue } from '../option-values.js';
import type { Output } from '../output.js';

export function downCommand(output: Output): Command {
  return new Command('down')
    .description('stop and remove the containers and networks of the stack (and its volumes with -v)')
    .option('-v, --volumes', 'also remove named volumes')
    .option('-t, --timeout <seconds>', 'grace period for each container to stop, instead of its own (seconds, or 1m30s)', timeoutValue)
    .action(async (flags: { volumes?: boolean; timeout?: number }, command: Command) => {
      const globals = globalOptions(command);
      const [{ loadCheckedStack }, { downStack }, { chooseRenderer }, { stackForDown }] = await Promise.all([
        import('../load.js'),
        import('../../orchestrator/down.js'),
        import('../../renderers/index.js'),
        import('../project-only-stack.js'),
      ]);
      // -p NAME takes the project down even without a usable stack file (project-only-stack.ts).
      const named = globals.projectName ?? (process.env.COMPOSE_PROJECT_NAME || undefined);
      const stack = await loadCheckedStack(globals).catch((err: unknown) =>
        stackForDown(err, named, process.cwd(), (line) => output.err(output.color.yellow(`warning: ${line}`))),
      );
      const started = performance.now();
      const sink = chooseRenderer(globals.progress, process.stderr, output.color);
      const removed = await downStack(stack, {
        sink,
        ...(globals.runtime ? { runtime: globals.runtime } : {}),
        ...(flags.volumes ? { volumes: true } : {}),
        ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
        say: (line) => output.err(line),
      });
      const secs = ((performance.now() - started) / 1000).toFixed(2);
      output.err(`${stack.name} is down: ${removed} container(s) removed${flags.volumes ? ', volumes too' : ''} in ${secs}s`);
    });
}
