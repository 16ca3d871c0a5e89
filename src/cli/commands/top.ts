/** `stack top [SERVICE...]`: the processes of each running container, as `docker compose top` shows them. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function topCommand(output: Output): Command {
  return new Command('top')
    .description('show the processes running in the containers of the services (all when none is named)')
    .argument('[services...]')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const [{ openProject }, ops] = await Promise.all([import('../project.js'), import('../container-ops/service-containers.js')]);
      const { stack, opened } = await openProject(globalOptions(command), output, false, (s) => ops.checkServices(s, services), { projectOnly: true });
      try {
        const live = (await ops.serviceContainers(opened.runtime, stack.name, services)).filter(ops.isLive);
        const titles = ['SERVICE', '#'];
        const rows: Record<string, string>[] = [];
        for (const c of live) {
          const table = await opened.runtime.top(c.name);
          for (const t of table.titles) if (!titles.includes(t)) titles.push(t);
          const { service, instance } = ops.serviceOf(c);
          for (const p of table.processes) rows.push({ SERVICE: service, '#': instance, ...Object.fromEntries(table.titles.map((t, i) => [t, p[i] ?? ''])) });
        }
        if (rows.length === 0) {
          output.err(`${stack.name}: no running containers${services.length ? ` of ${services.join(', ')}` : ''}`);
          return;
        }
        // CMD last, as ps puts it: it is the one column that holds spaces.
        const order = [...titles.filter((t) => t !== 'CMD'), ...(titles.includes('CMD') ? ['CMD'] : [])];
        output.out(ops.columns([order, ...rows.map((r) => order.map((t) => r[t] ?? '-'))]).join('\n'));
      } finally {
        await opened.close();
      }
    });
}
