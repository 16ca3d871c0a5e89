/**
 * `scale`, `restart` and `exec` on the swarm runtime (issue 18): the commands parse their flags and
 * open the project as usual, then come here. Scale and restart go through the service update API
 * (src/orchestrator/swarm/swarm-service-ops.ts); exec through the engine of the task's node.
 */
import type { Command } from 'commander';
import type { Stack } from '../config/model.js';
import type { EventSink } from '../executor/events.js';
import type { SwarmTarget } from '../runtime/swarm/swarm-target.js';
import type { Output } from './output.js';

/** `scale SERVICE=N…`: each service's replicas set, waiting until that many tasks run. */
export async function swarmScaleCommand(swarm: SwarmTarget, project: string, scales: Record<string, number>, sink: EventSink, output: Output, signal: AbortSignal): Promise<void> {
  const { swarmScale } = await import('../orchestrator/swarm/swarm-service-ops.js');
  const outcomes = await swarmScale(swarm.docker, project, scales, { sink, signal });
  output.err(`${project}: ${Object.entries(scales).map(([s, n]) => `${s} ${outcomes[s]?.state === 'unchanged' ? 'already has' : 'scaled to'} ${n}`).join(', ')}`);
}

/**
 * Whether a command that otherwise runs as `up` (scale) works on a swarm project: --runtime (or
 * HAFEN_RUNTIME), else the file's `runtime:`, else a project this machine deployed to a swarm.
 */
export async function onSwarm(command: Command): Promise<boolean> {
  const [{ globalOptions }, { loadCheckedStack }, { isSwarmProject }, { namedProject }] = await Promise.all([
    import('./global-options.js'),
    import('./load.js'),
    import('../orchestrator/swarm/swarm-projects.js'),
    import('./project-only-stack.js'),
  ]);
  const globals = globalOptions(command);
  if (globals.runtime) return globals.runtime === 'swarm';
  const stack = await loadCheckedStack(globals).catch(() => undefined);
  if (stack) return stack.runtime === 'swarm' || (stack.runtime === undefined && isSwarmProject(stack.name));
  const named = namedProject(globals);
  return named !== undefined && isSwarmProject(named);
}

/** `scale` on a swarm project, from its command line. */
export async function swarmScaleFromCli(command: Command, output: Output, scales: Record<string, number>): Promise<void> {
  const [{ globalOptions }, { openProject }, { onInterrupt }] = await Promise.all([import('./global-options.js'), import('./project.js'), import('./interrupt.js')]);
  const { stack, opened, sink, swarm } = await openProject(globalOptions(command), output, false, undefined, { projectOnly: true, swarm: true });
  try {
    using interrupt = onInterrupt();
    if (swarm) await swarmScaleCommand(swarm, stack.name, scales, sink, output, interrupt.signal);
  } finally {
    await opened.close();
  }
}

/** `restart [SERVICE…]`: a rolling restart, every task replaced as the service's update_config orders it. */
export async function swarmRestartCommand(swarm: SwarmTarget, project: string, services: readonly string[], sink: EventSink, output: Output, signal: AbortSignal): Promise<void> {
  const { swarmRestart } = await import('../orchestrator/swarm/swarm-service-ops.js');
  const outcomes = await swarmRestart(swarm.docker, project, services, { sink, signal });
  output.err(`${project}: restarted ${Object.keys(outcomes).sort().join(', ')} (rolling, as each service's update_config orders it)`);
}

/** What `exec` runs. */
export interface SwarmExec {
  service: string;
  index: number;
  command: string[];
  env: Record<string, string>;
  tty: boolean;
  user?: string;
  workdir?: string;
}

/** `exec SERVICE CMD`: in a running task's container, through its node's engine; resolves to the command's exit code. */
export async function swarmExecCommand(swarm: SwarmTarget, stack: Stack, o: SwarmExec): Promise<number> {
  const [{ taskContainer }, { execIn }] = await Promise.all([import('../orchestrator/swarm/swarm-exec.js'), import('../runtime/docker/docker-exec.js')]);
  const where = await taskContainer(swarm, stack, o.service, o.index);
  const result = await execIn(where.engine.docker, where.containerId, {
    command: o.command,
    env: o.env,
    interactive: true,
    tty: o.tty,
    ...(o.user ? { user: o.user } : {}),
    ...(o.workdir ? { workingDir: o.workdir } : {}),
  });
  return result.exitCode;
}
