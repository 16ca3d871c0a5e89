/** `stack dash`: the interactive dashboard over a running stack (src/dashboard). */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function dashCommand(output: Output): Command {
  return new Command('dash')
    .description('an interactive dashboard over the running stack: services, health, logs, restarts (? in it for keys)')
    .action(async (_flags: unknown, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, { isInteractive, runDashboard }, { UsageError }] = await Promise.all([
        import('../project.js'),
        import('../../dashboard/load.js').then((m) => m.loadDashboard()),
        import('../../errors.js'),
      ]);
      if (!isInteractive()) {
        throw new UsageError('stack dash needs a terminal (its input and output must be a TTY); `stack ps` and `stack logs -f` work without one');
      }
      const { stack, opened, swarm } = await openProject(globals, output, false, undefined, { swarm: true });
      try {
        // The swarm runtime (issue 18): the rows are the project's tasks per node (dashboard/swarm-source.ts).
        const { SwarmSource } = swarm ? await import('../../dashboard/swarm-source.js') : { SwarmSource: undefined };
        const source = swarm && SwarmSource ? { source: (store: ConstructorParameters<typeof SwarmSource>[0]['store']) => new SwarmSource({ stack, target: swarm, store }) } : {};
        await runDashboard({ stack, opened, globals, say: (line) => output.err(line), ...source });
      } finally {
        await opened.close();
      }
    });
}
