/** `stack ps`: the project's containers with state, health, ports, uptime, restarts and exit code. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';
import { formatUptime } from '../../format/uptime.js';

/** One row of `ps --json`; field names are an interface and stay stable. */
export interface PsRow {
  name: string;
  service: string;
  instance: number;
  state: string;
  health: string;
  exitCode?: number;
  oomKilled: boolean;
  ports: { target: number; protocol: string; hostIp: string; hostPort: number }[];
  startedAt?: string;
  uptimeMs?: number;
  restarts: number;
  addresses: Record<string, string>;
  runtime: string;
}

export function psCommand(output: Output): Command {
  return new Command('ps')
    .description("list the project's containers: state, health, ports, uptime, restarts")
    .argument('[services...]', 'only these services')
    .option('--json', 'print JSON')
    .option('-a, --all', 'include one-off containers of `stack run`')
    .action(async (services: string[], flags: { json?: boolean; all?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, { Label }] = await Promise.all([import('../project.js'), import('../../runtime/runtime.js')]);
      const { stack, opened } = await openProject(globals, output, false);
      try {
        const now = Date.now();
        const infos = (await opened.runtime.listContainers({ [Label.project]: stack.name }))
          .filter((c) => flags.all || !c.labels[Label.oneOff])
          .filter((c) => services.length === 0 || services.includes(c.labels[Label.service] ?? ''))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const rows: PsRow[] = infos.map((c) => ({
          name: c.name,
          service: c.labels[Label.service] ?? '',
          instance: Number(c.labels[Label.instance] ?? 1),
          state: c.state,
          health: c.health,
          ...(c.exitCode !== undefined && c.state !== 'running' ? { exitCode: c.exitCode } : {}),
          oomKilled: c.oomKilled,
          ports: c.ports,
          ...(c.startedAt ? { startedAt: c.startedAt } : {}),
          ...(c.state === 'running' && c.startedAt ? { uptimeMs: now - Date.parse(c.startedAt) } : {}),
          restarts: c.restartCount ?? 0,
          addresses: c.addresses,
          runtime: c.host,
        }));
        const unsupervised = opened.runtime.name === 'embedded' && !opened.supervisor && rows.some((r) => r.state === 'running');
        if (flags.json) {
          output.out(JSON.stringify(rows, null, 2));
        } else {
          const c = output.color;
          const table = [['NAME', 'SERVICE', 'STATE', 'HEALTH', 'PORTS', 'UPTIME', 'RESTARTS', 'RUNS ON']];
          for (const r of rows) {
            const state = r.state === 'running' ? 'running' : `${r.state}${r.exitCode !== undefined ? ` (${r.exitCode}${r.oomKilled ? ', OOM killed' : ''})` : ''}`;
            const ports = r.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.target}/${p.protocol}`).join(', ');
            table.push([r.name, r.service, state, r.health === 'none' ? '' : r.health, ports, r.uptimeMs !== undefined ? formatUptime(r.uptimeMs) : '', String(r.restarts), r.runtime]);
          }
          const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
          const lines = table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
          output.out([c.bold(lines[0]!), ...lines.slice(1)].join('\n'));
          if (rows.length === 0) output.err(`${stack.name}: no containers`);
        }
        if (unsupervised) {
          output.err(
            output.color.yellow(
              `the supervisor of ${stack.name} is not running: published ports, healthchecks and restarts are not served. \`stack up -d\` starts it again; \`stack down\` removes everything.`,
            ),
          );
        }
      } finally {
        await opened.close();
      }
    });
}
