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
  /** Attached: only these services' logs (`--attach`), or not these (`--no-attach`). */
  attach?: readonly string[];
  noAttach?: readonly string[];
  /** `--dash`: the progress in the dashboard, then the dashboard over the tasks; `globals` for its suggested commands. */
  dash?: { globals: { file: readonly string[]; profile: readonly string[] } };
}

/**
 * `up`: deploys, waits for convergence. Detached (-d, --wait) it returns then; attached it follows
 * the services' logs until Ctrl-C, which stops the stack as on the other runtimes: each replicated
 * service scaled to 0 (kept: `up` brings it back as the file says; `down` removes it).
 */
export async function swarmUpCommand(o: SwarmUpCommand): Promise<void> {
  const [{ swarmUp }, { rememberSwarmProject }] = await Promise.all([import('../orchestrator/swarm/swarm-up.js'), import('../orchestrator/swarm/swarm-projects.js')]);
  const c = o.output.color;
  const name = o.stack.name;
  const began = Date.now();
  try {
    rememberSwarmProject(name, o.swarm.address); // from the first thing made: ps, logs and down find it without --runtime
    const deploy = (sink: EventSink) => withProjectLock(o.opened.root, name, () =>
      swarmUp(o.stack, {
        target: o.swarm,
        sink,
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
    if (o.dash && (await upInDashboard(o, deploy))) return;
    const result = await deploy(o.sink);
    if (Object.values(result.changes).every((x) => x === 'unchanged') && result.networks.length === 0) o.output.err(`${name}: everything is up to date; nothing changed`);
    if (o.detach) return void o.output.err(`${c.green(name)} is up on the swarm of ${o.swarm.address}. \`stack -p ${name} ps\` shows its tasks, \`stack -p ${name} down\` removes it.`);
    await followThenStop(o, Object.keys(result.changes), began);
  } catch (err) {
    if (!o.signal.aborted) o.output.err(c.dim(`see \`stack -p ${name} ps\` and \`stack -p ${name} logs SERVICE\`; \`stack -p ${name} down\` removes it all`));
    throw err;
  } finally {
    await o.opened.close();
  }
}

/** `up --dash`: the deploy drawn in the dashboard, then its running view over the tasks (dashboard/swarm-source.ts); false without a terminal. */
async function upInDashboard(o: SwarmUpCommand, deploy: (sink: EventSink) => Promise<unknown>): Promise<boolean> {
  const { isInteractive, upWithDashboard } = await (await import('../dashboard/load.js')).loadDashboard();
  if (!isInteractive()) {
    o.output.err(o.output.color.yellow('--dash needs a terminal; showing the progress as usual'));
    return false;
  }
  const { SwarmSource } = await import('../dashboard/swarm-source.js');
  await upWithDashboard({ stack: o.stack, opened: o.opened, globals: o.dash!.globals, signal: o.signal, say: (l) => o.output.err(l), source: (store) => new SwarmSource({ stack: o.stack, target: o.swarm, store }) }, deploy);
  return true;
}

/** Attached: the deployed services' logs (since `up` began) until Ctrl-C, then the stop; exit code 130 as on the other runtimes. */
async function followThenStop(o: SwarmUpCommand, deployed: readonly string[], began: number): Promise<void> {
  const [{ swarmLogs }, { swarmStop }] = await Promise.all([import('../orchestrator/swarm/swarm-logs.js'), import('../orchestrator/swarm/swarm-service-ops.js')]);
  const shown = deployed.filter((s) => (!o.attach?.length || o.attach.includes(s)) && !o.noAttach?.includes(s));
  o.output.err(o.output.color.dim(`Attached to ${shown.length} service(s) on the swarm; Ctrl-C stops them (scaled to 0; \`stack down\` removes them).`));
  if (shown.length > 0 && !o.signal.aborted) {
    await swarmLogs(o.swarm.docker, o.stack.name, { services: shown, follow: true, since: began, signal: o.signal }, (service, line) =>
      o.sink({ kind: 'log', time: Date.parse(line.time) || Date.now(), service, name: service, stream: line.stream, text: line.text.replace(/\r?\n$/, '') }),
    );
  }
  if (!o.signal.aborted) await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
  o.output.err('Gracefully stopping… (Ctrl-C again to leave at once)');
  const { global } = await swarmStop(o.swarm.docker, o.stack.name, deployed, { sink: o.sink });
  if (global.length > 0) o.output.err(o.output.color.yellow(`global service(s) ${global.join(', ')} run on: Swarm has no replica count to stop them by; \`stack down\` removes them`));
  o.output.exitCode = 130;
}

/** `down`: everything of the project off the swarm; with `volumes`, its named volumes on every node whose engine is reachable. */
export async function swarmDownCommand(stack: Stack, sink: EventSink, output: Output, opts: { volumes?: boolean } = {}): Promise<void> {
  const [{ openSwarmTarget }, { swarmDown }, { dockerStateRoot }, { forgetSwarmProject, managerFor }] = await Promise.all([
    import('../runtime/swarm/swarm-target.js'),
    import('../orchestrator/swarm/swarm-down.js'),
    import('../runtime/docker/state-root.js'),
    import('../orchestrator/swarm/swarm-projects.js'),
  ]);
  const target = await openSwarmTarget(managerFor(stack));
  const started = performance.now();
  const removed = await withProjectLock(dockerStateRoot(), stack.name, () => swarmDown(stack.name, { target, sink }));
  let volumes = '';
  if (opts.volumes) {
    const { removeSwarmVolumes } = await import('../orchestrator/swarm/swarm-volumes.js');
    const result = await removeSwarmVolumes(target, stack);
    for (const line of result.problems) output.err(output.color.yellow(`warning: ${line}`));
    volumes = `, ${result.removed.length} volume(s) removed${result.removed.length ? ` (${result.removed.join(', ')})` : ''}`;
  }
  forgetSwarmProject(stack.name);
  output.err(`${stack.name} is down: ${removed} service(s) removed from the swarm${volumes} in ${((performance.now() - started) / 1000).toFixed(2)}s`);
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
