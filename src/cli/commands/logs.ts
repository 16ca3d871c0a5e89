/** `stack logs`: the logs of several services merged, each line prefixed with its container. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { sinceValue, tailValue, untilValue } from '../option-values.js';
import type { Output } from '../output.js';

export function logsCommand(output: Output): Command {
  return new Command('logs')
    .description('print (and with -f follow) the logs of the services, merged and prefixed')
    .argument('[services...]', 'only these services')
    .option('-f, --follow', 'keep following new lines')
    .option('-n, --tail <lines>', 'only the last N lines of each container (or all)', tailValue)
    .option('--since <time>', 'only lines since an ISO time or a duration ago (10s, 5m)', sinceValue)
    .option('-t, --timestamps', 'show each line\'s time')
    .option('--no-log-prefix', 'do not prefix lines with the container')
    // Compose's flags (issue 14).
    .option('--until <time>', 'only lines up to an ISO time or a duration ago (10s, 5m)', untilValue)
    .option('--no-color', 'no colour in the output')
    .action(
      async (
        services: string[],
        flags: { follow?: boolean; tail?: number; since?: string | number; until?: string | number; timestamps?: boolean; logPrefix: boolean; color: boolean },
        command: Command,
      ) => {
        const globals = globalOptions(command);
        if (!flags.color) output.color.level = 0;
        const [{ openProject }, { Label }, { onInterrupt }, { colorOfService }] = await Promise.all([
          import('../project.js'),
          import('../../runtime/runtime.js'),
          import('../interrupt.js'),
          import('../service-colors.js'),
        ]);
        const { tail, since, until } = flags;
        const { assertServicesExist } = await import('../../planner/index.js');
        const { stack, opened, swarm } = await openProject(globals, output, false, (s) => assertServicesExist(s, services), { projectOnly: true, swarm: true });
        using interrupt = onInterrupt();
        try {
          // The swarm runtime (issue 18): service logs through the manager.
          if (swarm) {
            const { swarmLogsCommand } = await import('../swarm-commands.js');
            const names = services.length > 0 ? services : Object.keys(stack.services);
            return void (await swarmLogsCommand(swarm, stack.name, output, { services: names, follow: Boolean(flags.follow), timestamps: Boolean(flags.timestamps), prefix: flags.logPrefix, signal: interrupt.signal, ...(tail !== undefined ? { tail } : {}), ...(since !== undefined ? { since } : {}) }));
          }
          const containers = (await opened.runtime.listContainers({ [Label.project]: stack.name }))
            .filter((c) => services.length === 0 || services.includes(c.labels[Label.service] ?? ''))
            .sort((a, b) => (a.name < b.name ? -1 : 1));
          const prefixOf = (name: string): string => name.slice(stack.name.length + 1);
          const width = Math.max(0, ...containers.map((c) => prefixOf(c.name).length));
          await Promise.all(
            containers.map(async (c) => {
              const paint = colorOfService(output.color, c.labels[Label.service] ?? c.name);
              const prefix = flags.logPrefix ? `${paint(prefixOf(c.name).padEnd(width))} | ` : '';
              const opts = {
                follow: Boolean(flags.follow),
                signal: interrupt.signal,
                ...(tail !== undefined ? { tail } : {}),
                ...(since !== undefined ? { since } : {}),
                ...(until !== undefined ? { until } : {}),
              };
              try {
                for await (const line of opened.runtime.logs(c.name, opts)) {
                  output.out(`${prefix}${flags.timestamps ? `${line.time} ` : ''}${line.text.replace(/\r?\n$/, '')}`);
                }
              } catch (err) {
                if (!interrupt.signal.aborted) throw err;
              }
            }),
          );
        } finally {
          await opened.close();
        }
      },
    );
}
