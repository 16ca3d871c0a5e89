/** `stack ps`: the project's containers with state, health, ports, uptime, restarts and exit code. */
import { Command, InvalidArgumentError } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';
import { formatUptime } from '../../format/uptime.js';
import { psFormatValue, renderTemplate, type PsFormat } from '../ps-format.js';
import { composeContainer } from '../compose-container.js';
import { Label } from '../../runtime/runtime.js';
import type { PsRow } from '../../orchestrator/ps-row.js';

/** Container states `--status` takes: Compose's list (a runtime may never report some of them). */
const STATUSES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

/** `--status running` (repeatable): one of Compose's container states. */
function statusValue(text: string, previous: string[] = []): string[] {
  if (!STATUSES.includes(text)) throw new InvalidArgumentError(`expected one of ${STATUSES.join(', ')}.`);
  return [...previous, text];
}

/** `--filter status=running`: Compose's other spelling of --status, its only filter. */
function filterValue(text: string, previous: string[] = []): string[] {
  const [key, value] = text.split(/=(.*)/s);
  if (value === undefined) throw new InvalidArgumentError('expected KEY=VALUE, e.g. status=running.');
  if (key !== 'status') throw new InvalidArgumentError(`unknown filter ${key}; the only one is status=STATE.`);
  return statusValue(value, previous);
}

interface PsFlags {
  json?: boolean;
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status?: string[];
  format?: PsFormat;
}

export function psCommand(output: Output): Command {
  return new Command('ps')
    .description("list the project's containers: state, health, ports, uptime, restarts")
    .argument('[services...]', 'only these services')
    .option('--json', 'print JSON (hafen\'s fields, one array)')
    .option('-a, --all', 'include one-off containers of `stack run`')
    .option('-q, --quiet', 'print container IDs only, one per line')
    .option('--services', 'print service names only, one per line')
    .option('--no-trunc', "taken for Compose's command lines: IDs and commands are printed in full anyway")
    .option('--status <status>', `only containers in this state, repeatable (${STATUSES.join(' | ')})`, statusValue)
    .option('--filter <filter>', 'only containers matching status=STATE (as --status)', filterValue)
    .option('--format <format>', "table (the default), json (one object per line, Compose's fields) or a template: '{{.Name}}\\t{{.State}}', 'table {{.Name}}\\t{{.Health}}'", psFormatValue)
    .action(async (services: string[], flags: PsFlags & { filter?: string[] }, command: Command) => {
      const globals = globalOptions(command);
      if (flags.json && flags.format && flags.format.kind !== 'json') throw new InvalidArgumentError('--json and --format: use one of them.');
      // runtime.js, compose-container.js and ps-format.js are loaded with this module already (ps-format's option parser).
      const [{ openProject }, ready] = await Promise.all([import('../project.js'), import('../../orchestrator/ready-records.js')]);
      // Needs only the project: `stack -p NAME ps` works without a stack file, as in Compose.
      const { stack, opened, swarm } = await openProject(globals, output, false, undefined, { projectOnly: true, swarm: true });
      try {
        // The swarm runtime (issue 18): a row per task, with its node.
        if (swarm) return void (await (await import('../swarm-commands.js')).swarmPsCommand(swarm, stack.name, output, { services, all: Boolean(flags.all), json: Boolean(flags.json || flags.format?.kind === 'json'), quiet: Boolean(flags.quiet) }));
        const now = Date.now();
        const statuses = [...(flags.status ?? []), ...(flags.filter ?? [])];
        const infos = (await opened.runtime.listContainers({ [Label.project]: stack.name }))
          .filter((c) => flags.all || !c.labels[Label.oneOff])
          .filter((c) => services.length === 0 || services.includes(c.labels[Label.service] ?? ''))
          .filter((c) => statuses.length === 0 || statuses.includes(c.state))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const records = ready.readReadiness(opened.root, stack.name);
        const readyOf = new Map(infos.map((c) => [c.name, ready.readyStateOf(records.get(c.name), c)]));
        const rows: PsRow[] = infos.map((c) => ({
          name: c.name,
          service: c.labels[Label.service] ?? '',
          instance: Number(c.labels[Label.instance] ?? 1),
          state: c.state,
          health: c.health,
          ...(readyOf.get(c.name) ? { ready: readyOf.get(c.name)! } : {}),
          ...(c.exitCode !== undefined && c.state !== 'running' ? { exitCode: c.exitCode } : {}),
          oomKilled: c.oomKilled,
          ports: c.ports,
          ...(c.startedAt ? { startedAt: c.startedAt } : {}),
          ...(c.state === 'running' && c.startedAt ? { uptimeMs: now - Date.parse(c.startedAt) } : {}),
          restarts: c.restartCount ?? 0,
          addresses: c.addresses,
          runtime: c.host,
        }));
        // Only this machine's containers need its supervisor: those on other hosts (`ships:`) have their host's.
        const unsupervised = opened.runtime.name === 'embedded' && !opened.supervisor && !opened.remote && rows.some((r) => r.state === 'running' && r.runtime === 'embedded');
        const compose = () => infos.map((c) => composeContainer(c, now, readyOf.get(c.name)));
        if (flags.quiet) {
          // Compose's forms for scripts: IDs, service names, JSON lines, a template.
          if (infos.length > 0) output.out(infos.map((c) => c.id).join('\n'));
        } else if (flags.services) {
          const names = [...new Set(rows.map((r) => r.service))];
          if (names.length > 0) output.out(names.join('\n'));
        } else if (flags.format?.kind === 'json') {
          if (infos.length > 0) output.out(compose().map((c) => JSON.stringify(c)).join('\n'));
        } else if (flags.format?.kind === 'template') {
          const lines = renderTemplate(flags.format, compose());
          if (lines.length > 0) output.out(lines.join('\n'));
        } else if (flags.json) {
          output.out(JSON.stringify(rows, null, 2));
        } else {
          const c = output.color;
          const table = [['NAME', 'SERVICE', 'STATE', 'HEALTH', 'PORTS', 'UPTIME', 'RESTARTS', 'RUNS ON']];
          for (const r of rows) {
            const state = r.state === 'running' ? 'running' : `${r.state}${r.exitCode !== undefined ? ` (${r.exitCode}${r.oomKilled ? ', OOM killed' : ''})` : ''}`;
            const ports = r.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.target}/${p.protocol}`).join(', ');
            const health = ready.healthWithReady(r.health, r.ready);
            table.push([r.name, r.service, state, health, ports, r.uptimeMs !== undefined ? formatUptime(r.uptimeMs) : '', String(r.restarts), r.runtime]);
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
