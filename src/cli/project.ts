/** What the project commands share: the stack, its runtime, a renderer on stderr. */
// Static: every command that opens a project needs all of these, and each module loaded on its own
// costs Node 20 a file read and a link of its own (this module is itself loaded with `import()`).
import type { Stack } from '../config/model.js';
import { fanOut, type EventSink } from '../executor/events.js';
import { dropEarlySupervisor, startSupervisorEarly } from '../orchestrator/early-supervisor.js';
import { openProjectRuntime, type ProjectRuntime } from '../orchestrator/project-runtime.js';
import { recordReadiness } from '../orchestrator/ready-records.js';
import { chooseRenderer } from '../renderers/choose.js';
import { loadCheckedStack } from './load.js';
import type { GlobalOptions } from './global-options.js';
import type { Output } from './output.js';
import { traceMark, traced } from '../trace.js';
import { takeStandby } from './early-standby.js';
import { renderTarget } from './std-write.js';
import type { SwarmTarget } from '../runtime/swarm/swarm-target.js';
import { isSwarmProject, managerFor } from '../orchestrator/swarm/swarm-projects.js';

export interface ProjectContext {
  stack: Stack;
  opened: ProjectRuntime;
  /** The renderer, and the recorder of `ready:` results that `ps` and `dash` read (ready-records.ts). */
  sink: EventSink;
  /** No stack file was used: the project was named alone (`-p NAME`), and its services are known only by its containers. */
  projectOnly: boolean;
  /** The swarm runtime (issue 18): the manager the services go to; `opened` is then that manager's engine. */
  swarm?: SwarmTarget;
}

/** How a command opens its project. */
export interface OpenProjectOptions {
  /**
   * The command needs only the project (ps, logs, stop, kill, …): with no stack file and a name
   * given (-p, HAFEN_PROJECT, COMPOSE_PROJECT_NAME) it works from what the project left, as
   * `docker compose -p NAME ps` does. `check` is then skipped: there is no file to check against.
   */
  projectOnly?: boolean;
  /** `up`: on the embedded runtime, a supervisor is spawned on standby at once, for whatever project the file names (early-supervisor.ts). */
  standby?: boolean;
  /** A user without root: the command needs the rootless network (pull) though it starts no container (issue 17). */
  network?: boolean;
  /** The command works on the swarm runtime (issue 18: up, down, ps, logs, exec, scale, restart, dash); the others refuse it, exit 2. */
  swarm?: boolean;
}

/** The services a command that creates containers will start: the named ones (all when none) and, unless noDeps, what they need. */
export interface Starting {
  services: readonly string[];
  noDeps?: boolean;
  /** `up --strict-limits`: a limit that cannot be applied (rootless, no delegated cgroup) is refused, not warned of. */
  strictLimits?: boolean;
}

/**
 * Loads the stack and opens its runtime. `supervise` (for commands that create containers: the
 * services they will start) starts the supervisor when none runs, and first refuses the keys the
 * runtime cannot honour on those services (not on services the command leaves alone). `check`
 * runs before anything is touched, so bad input (an unknown service, a gate that can never open)
 * changes nothing on the system.
 */
export async function openProject(
  globals: GlobalOptions,
  output: Output,
  supervise: Starting | false,
  check?: (stack: Stack) => void,
  options: OpenProjectOptions = {},
): Promise<ProjectContext> {
  // Commands that start containers: the supervisor starts beside the loading and checks (early-supervisor.ts).
  const early = supervise
    ? startSupervisorEarly(globals.projectName ?? (process.env.COMPOSE_PROJECT_NAME || undefined), globals.runtime, undefined, options.standby ? takeStandby() : undefined)
    : undefined;
  traceMark('early-supervisor');
  let projectOnly = false;
  let stack: Stack;
  let runtime: Stack['runtime'];
  let swarm: SwarmTarget | undefined;
  try {
    stack = await traced('load-stack', undefined, () => loadCheckedStack(globals)).catch(async (err: unknown) => {
      if (!options.projectOnly) throw err;
      const { stackForProject } = await import('./project-only-stack.js');
      projectOnly = true;
      return stackForProject(err, globals, process.cwd());
    });
    if (!projectOnly) check?.(stack);
    // A project this machine deployed to a swarm is found there without --runtime (swarm-projects.ts: one file test).
    runtime = globals.runtime ?? stack.runtime ?? (isSwarmProject(stack.name) ? 'swarm' : undefined);
    if (supervise) {
      const [{ chooseRuntime }, { assertRuntimeSupports }, { selectServices }] = await Promise.all([
        import('../orchestrator/project-runtime.js'),
        import('../planner/runtime-support.js'),
        import('../planner/select.js'),
      ]);
      const starting = selectServices(stack, supervise.services, { ...(supervise.noDeps ? { noDeps: true } : {}), profiles: globals.profile });
      assertRuntimeSupports(stack, chooseRuntime(runtime).runtime, [...starting]); // refused before anything starts
    }
    // The swarm runtime (issue 18): the manager is checked before anything is made (not one: exit 2).
    if (runtime === 'swarm') {
      if (!options.swarm) throw new (await import('../errors.js')).UsageError('this command is not available on the swarm runtime yet (up, down, ps, logs, exec, scale, restart and dash are)');
      swarm = await (await import('../runtime/swarm/swarm-target.js')).openSwarmTarget(managerFor(stack)); // a ship marked manager: true, else DOCKER_HOST, else the manager `up` used
    }
  } catch (err) {
    dropEarlySupervisor(early);
    throw err;
  }
  const opened = await traced('open-runtime', undefined, () => openProjectRuntime(stack.name, { supervise: supervise !== false, stack, say: (line) => output.err(line), early, ...(runtime ? { runtime } : {}), ...(supervise && supervise.strictLimits ? { strictLimits: true } : {}), ...(options.network ? { network: true } : {}) }));
  const sink = fanOut(recordReadiness(opened.root, stack), chooseRenderer(globals.progress, renderTarget(2), output.color));
  return { stack, opened, sink, projectOnly, ...(swarm ? { swarm } : {}) };
}

