/** `stack stats [SERVICE...]`: CPU, memory and pids of the running containers, refreshed every second (`--no-stream`: one snapshot). */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { StackError } from '../../errors.js';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

/** Between the two samples a snapshot's CPU % is measured over, and between refreshes. */
const SAMPLE_MS = 500;
const REFRESH_MS = 1000;

export function statsCommand(output: Output): Command {
  return new Command('stats')
    .description('show CPU, memory and pids of the containers of the services, refreshed until interrupted')
    .argument('[services...]')
    .option('-a, --all', 'include containers that are not running')
    .option('--no-stream', 'print one snapshot and exit')
    .addOption(new Option('--format <format>', 'table, or json (one object per line)').choices(['table', 'json']).default('table'))
    .action(async (services: string[], flags: { all?: boolean; stream: boolean; format: 'table' | 'json' }, command: Command) => {
      const [{ openProject }, ops, rows] = await Promise.all([
        import('../project.js'),
        import('../container-ops/service-containers.js'),
        import('../container-ops/stats-rows.js'),
      ]);
      const { stack, opened } = await openProject(globalOptions(command), output, false, (s) => ops.checkServices(s, services), { projectOnly: true });
      const runtime = opened.runtime;
      try {
        const sample = async () => {
          const containers = (await ops.serviceContainers(runtime, stack.name, services)).filter((c) => flags.all || ops.isLive(c));
          const at = Date.now();
          // A container gone meanwhile shows zeros; one without a cgroup (rootless, none delegated) is refused, saying why.
          const stats = await Promise.all(containers.map((c) => runtime.stats(c.name).catch((err: unknown) => {
            if (err instanceof StackError && err.code === 'E_NO_CGROUP') throw err;
            return { cpuNanos: 0, memoryBytes: 0, pids: 0 };
          })));
          return { at, entries: containers.map((c, i) => ({ name: c.name, id: c.id, stats: stats[i]! })) };
        };
        let before = await sample();
        const refreshing = flags.stream && flags.format === 'table' && Boolean(process.stdout.isTTY);
        for (;;) {
          await sleep(flags.stream ? REFRESH_MS : SAMPLE_MS);
          const now = await sample();
          const previous = new Map(before.entries.map((e) => [e.name, e.stats]));
          const shown = now.entries.map((e) => rows.statsRow(e.name, e.id, e.stats, previous.get(e.name), now.at - before.at, os.totalmem()));
          if (flags.format === 'json') {
            if (shown.length > 0) output.out(shown.map(rows.statsJson).join('\n'));
          }
          else output.out(`${refreshing ? '\x1b[2J\x1b[H' : ''}${ops.columns(rows.statsTable(shown)).join('\n')}`);
          if (!flags.stream) break;
          before = now;
        }
      } finally {
        await opened.close();
      }
    });
}
