/**
 * The CLI's commands on the swarm runtime (issue 18): `up`, `down`, `ps` and `logs` through a swarm
 * manager's engine. The commands parse their flags and open the project as usual, then come here.
 */
import type { Millis, Stack } from '../config/model.js';
import type { EventSink } from '../executor/events.js';
import { withProjectLock, type ProjectRuntime } from '../orchestrator/project-runtime.js';
import type { SwarmTarget } from '../runtime/swarm/swarm-target.js';
import type { Output } from './output.js';

/** What `up` hands over. */
export interface SwarmUpCommand {
  stack: Stack;
  opened: ProjectRuntime;
  swarm: SwarmTarget;
  sink: EventSink;
  output: Output;
  signal: AbortSignal;
  services: readonly string[];
  deps: boolean;
  profiles: readonly string[];
  detach: boolean;
  waitTimeout?: Millis;
  /** `--build`: build `build:` images even when hafen's store has them; `--no-build`: never build. */
  build?: boolean;
  noBuild?: boolean;
}

/** `up`: deploys, waits for convergence; a swarm's services run on without this process, so `up` is always detached. */
export async function swarmUpCommand(o: SwarmUpCommand): Promise<void> {
  const { swarmUp } = await import('../orchestrator/swarm/swarm-up.js');
  const c = o.output.color;
  const name = o.stack.name;
  try {
    const result = await withProjectLock(o.opened.root, name, () =>
      swarmUp(o.stack, {
        target: o.swarm,
        sink: o.sink,
        services: o.services,
        noDeps: !o.deps,
        profiles: o.profiles,
        signal: o.signal,
        ...(o.waitTimeout !== undefined ? { waitTimeout: o.waitTimeout } : {}),
        ...(o.build ? { build: true } : {}),
        ...(o.noBuild ? { noBuild: true } : {}),
        say: (line) => o.output.err(c.yellow(line)),
      }),
    );
    if (Object.values(result.changes).every((x) => x === 'unchanged') && result.networks.length === 0) o.output.err(`${name}: everything is up to date; nothing changed`);
    o.output.err(`${c.green(name)} is up on the swarm of ${o.swarm.address}. \`stack -p ${name} --runtime swarm ps\` shows its tasks, \`stack -p ${name} --runtime swarm down\` removes it.`);
    if (!o.detach) o.output.err(c.dim('(the services run on the swarm: `up` returns once they converged; `stack logs -f` follows them)'));
  } catch (err) {
    if (!o.signal.aborted) o.output.err(c.dim(`see \`stack -p ${name} --runtime swarm ps\` and \`stack -p ${name} --runtime swarm logs SERVICE\`; \`stack -p ${name} --runtime swarm down\` removes it all`));
    throw err;
  } finally {
    await o.opened.close();
  }
}

/** `down`: everything of the project off the swarm. */
export async function swarmDownCommand(stack: Stack, sink: EventSink, output: Output): Promise<void> {
  const [{ openSwarmTarget, swarmManagerAddress }, { swarmDown }, { dockerStateRoot }] = await Promise.all([
    import('../runtime/swarm/swarm-target.js'),
    import('../orchestrator/swarm/swarm-down.js'),
    import('../runtime/docker/state-root.js'),
  ]);
  const target = await openSwarmTarget(swarmManagerAddress(stack));
  const started = performance.now();
  const removed = await withProjectLock(dockerStateRoot(), stack.name, () => swarmDown(stack.name, { target, sink }));
  output.err(`${stack.name} is down: ${removed} service(s) removed from the swarm in ${((performance.now() - started) / 1000).toFixed(2)}s`);
}

/** `ps`: a row per task: where it runs, its state, ports and health; `json` prints the rows as one array. */
export async function swarmPsCommand(swarm: SwarmTarget, project: string, output: Output, opts: { services: readonly string[]; all: boolean; json: boolean; quiet: boolean }): Promise<void> {
  const { swarmTaskRows } = await import('../orchestrator/swarm/swarm-ps.js');
  const rows = await swarmTaskRows(swarm.docker, project, { all: opts.all, services: opts.services });
  if (opts.json) return output.out(JSON.stringify(rows, null, 2));
  if (opts.quiet) return void (rows.length > 0 && output.out(rows.map((r) => r.name).join('\n')));
  const table = [['NAME', 'SERVICE', 'NODE', 'STATE', 'DESIRED', 'HEALTH', 'PORTS', 'ERROR']];
  for (const r of rows) table.push([r.name, r.service, r.node, `${r.state}${r.exitCode !== undefined ? ` (${r.exitCode})` : ''}`, r.desired, r.health, r.ports.join(', '), r.error ?? '']);
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  output.out([output.color.bold(lines[0]!), ...lines.slice(1)].join('\n'));
  if (rows.length === 0) output.err(`${project}: no tasks on the swarm`);
}

/** `logs`: the services' logs, prefixed with the service; `-f` follows until interrupted. */
export async function swarmLogsCommand(
  swarm: SwarmTarget,
  project: string,
  output: Output,
  opts: { services: readonly string[]; follow: boolean; tail?: number; since?: string | number; timestamps: boolean; prefix: boolean; signal: AbortSignal },
): Promise<void> {
  const { swarmLogs } = await import('../orchestrator/swarm/swarm-logs.js');
  const width = Math.max(0, ...opts.services.map((s) => s.length));
  await swarmLogs(swarm.docker, project, { services: opts.services, follow: opts.follow, signal: opts.signal, ...(opts.tail !== undefined ? { tail: opts.tail } : {}), ...(opts.since !== undefined ? { since: opts.since } : {}) }, (service, line) => {
    const prefix = opts.prefix ? `${service.padEnd(width)} | ` : '';
    output.out(`${prefix}${opts.timestamps ? `${line.time} ` : ''}${line.text.replace(/\r?\n$/, '')}`);
  });
}
