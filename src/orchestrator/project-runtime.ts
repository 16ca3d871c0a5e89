/**
 * The runtime a command works through for one project. On the embedded runtime that is the
 * project's supervisor (started when the command brings containers up), or, when none runs and the
 * command only looks or tears down, this process's own EmbeddedRuntime. On Docker it is the engine
 * (or the stack's ships) directly: the daemon owns the containers, so there is no supervisor.
 */
import os from 'node:os';
import path from 'node:path';
import type { RuntimeName, Stack } from '../config/model.js';
import { ConfigError, UsageError } from '../errors.js';
import { dockerStateRoot } from '../runtime/docker/state-root.js';
import { embeddedUnavailable } from '../runtime/embedded/native-files.js';
import type { ProjectLock } from '../runtime/embedded/state/project-lock.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js';
import type { Runtime } from '../runtime/runtime.js';
import type { SupervisorClient } from '../supervisor/client.js';
import { needsUserNamespace, rerunInUserNamespace } from '../runtime/embedded/rootless/enter-namespace.js';
import { isUserNamespaceCommand } from '../runtime/embedded/rootless/rerun-permission.js';
import { userNamespacesUnavailable } from '../runtime/embedded/rootless/userns-probe.js';
import { isRootless } from '../runtime/embedded/rootless/user-namespace.js';
import { connectSupervisor, ensureSupervisor } from '../supervisor/spawn.js';
import { dropEarlySupervisor, type EarlySupervisor } from './early-supervisor.js';
import type { RemoteRuntime } from '../remote/remote-runtime.js';
import type { RemoteProject } from '../remote/remote-lifecycle.js';
import { remoteTarget, type SshTarget } from '../remote/ssh-target.js';

export { dockerStateRoot };

export interface ProjectRuntime {
  readonly runtime: Runtime;
  /** The supervisor's client, when one owns the project. */
  readonly supervisor?: SupervisorClient;
  /** The state root (embedded). */
  readonly root: string;
  close(): Promise<void>;
  // issue 19: a project on another host over ssh (`HAFEN_HOST=ssh://…`); `root` is then this machine's state for that host.
  /** The remote runtime, when the project lives on another host. */
  readonly remote?: RemoteRuntime;
  /** Where it lives. */
  readonly target?: SshTarget;
  /** The other hosts of a stack whose `ships:` are embedded runtimes there (src/remote/embedded-ships.ts); `root` is then this machine's. */
  readonly ships?: readonly RemoteProject[];
  /** Every service is on another host's embedded ship: this machine has no runtime, supervisor or ledger of the project. */
  readonly nothingHere?: boolean;
}

export interface OpenOptions {
  /** `--runtime`, HAFEN_RUNTIME or `runtime:` of the file; chosen by `chooseRuntime` when unset. */
  runtime?: RuntimeName;
  /** The stack, when its `ships:` should be reached (docker). */
  stack?: Stack;
  /** Where the line saying why Docker was chosen goes (default: stderr). */
  say?: (line: string) => void;
  /** Start the supervisor when none runs (commands that start containers). */
  supervise: boolean;
  root?: string;
  /** Refuse (exit 2) instead of warning when limits cannot be applied (rootless without a delegated cgroup). */
  strictLimits?: boolean;
  /** A supervisor start begun before the stack was loaded (early-supervisor.ts): used when it is this project's, else dropped. */
  early?: EarlySupervisor | undefined;
  /** A user without root: connect the namespace holder's network (default: when `supervise`; pull asks too). */
  network?: boolean;
}

/** Why a runtime was taken when nobody named one. */
export interface RuntimeChoice {
  runtime: RuntimeName;
  /** Said when Docker is taken by default. */
  why?: string;
}

/** What decides the runtime when none is asked for: the OS, the user, and whether this installation has the embedded runtime's native parts. */
export interface HostFacts {
  platform: string;
  uid: number | undefined;
  /** Why the embedded runtime's native parts are not here (native-files.ts), or undefined. */
  embeddedMissing?: string | undefined;
  /** Why a user without root cannot make user namespaces here (userns-probe.ts), or undefined. */
  userNamespacesMissing?: string | undefined;
}

function thisHost(): HostFacts {
  const uid = process.getuid?.();
  return { platform: process.platform, uid, embeddedMissing: embeddedUnavailable(), ...(uid !== 0 ? { userNamespacesMissing: userNamespacesUnavailable() } : {}) };
}

/**
 * The runtime asked for; with nothing said, embedded where it can run (Linux, native parts present,
 * root or a user who may make user namespaces: issue 17's rootless mode), else Docker.
 */
export function chooseRuntime(asked: RuntimeName | undefined, host: HostFacts = thisHost()): RuntimeChoice {
  if (asked) return { runtime: asked };
  if (host.platform !== 'linux') return { runtime: 'docker', why: `using the docker runtime: the embedded runtime needs Linux, this is ${host.platform}` };
  if (host.embeddedMissing) return { runtime: 'docker', why: `using the docker runtime: ${host.embeddedMissing}` };
  if (host.uid !== 0 && host.userNamespacesMissing) {
    return { runtime: 'docker', why: `using the docker runtime: the embedded runtime needs root or user namespaces for uid ${host.uid ?? '?'}, and ${host.userNamespacesMissing}` };
  }
  return { runtime: 'embedded' };
}

/** Opens the runtime of `project`. */
export async function openProjectRuntime(project: string, options: OpenOptions): Promise<ProjectRuntime> {
  // issue 19: the embedded runtime of another host, reached over ssh; nothing of it starts here.
  const target = remoteTarget();
  if (target) {
    dropEarlySupervisor(options.early);
    if (options.runtime !== undefined && options.runtime !== 'embedded') throw new UsageError(`HAFEN_HOST=${target.url} names a host for the embedded runtime; the ${options.runtime} runtime is reached with DOCKER_HOST${options.runtime === 'docker' ? ' or ships:' : ''}`);
    const { openRemoteProject } = await import('../remote/open-remote.js');
    return openRemoteProject(target, project, options);
  }
  // issue 19: every service on other hosts' embedded ships: nothing runs here, so nothing of this machine's runtime is asked for (a CLI on macOS or Windows).
  // (Loaded only for a file naming such a ship.)
  if (options.stack && options.runtime !== 'docker' && options.runtime !== 'swarm' && Object.values(options.stack.ships).some((s) => s.embedded?.host !== undefined)) {
    const { allOnOtherHosts, openEmbeddedShips } = await import('../remote/embedded-ships.js');
    if (allOnOtherHosts(options.stack)) {
      dropEarlySupervisor(options.early);
      return openEmbeddedShips(undefined, options.stack, options);
    }
  }
  const choice = chooseRuntime(options.runtime);
  if (choice.why) (options.say ?? ((line) => process.stderr.write(`${line}\n`)))(choice.why);
  const root = options.root ?? defaultRoot();
  const early = options.early;
  const usable = early !== undefined && choice.runtime === 'embedded' && options.supervise && early.root === root;
  const useEarly = usable && early.client !== undefined && early.project === project;
  const standby = usable ? early.standby : undefined;
  if (!useEarly && !standby) dropEarlySupervisor(early);
  // swarm (issue 18): the manager's engine as a Docker runtime; the services go through src/orchestrator/swarm/.
  if (choice.runtime === 'docker' || choice.runtime === 'swarm') return openDocker(options);
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  // A user without root: a command that starts containers (or enters, stops or removes them) runs
  // inside the user's namespaces. The CLI moves there at its start (src/cli/early-userns.ts); this
  // is the move for a command it left outside (its file named a runtime), once the stack is loaded.
  if ((options.supervise || isUserNamespaceCommand()) && needsUserNamespace()) await rerunInUserNamespace(say, { network: options.network ?? options.supervise });
  // Limits a user without root cannot apply: said (or refused) before anything is made.
  if (options.supervise && options.stack && isRootless()) {
    // Loaded only here: the cgroup code is not needed by commands that only look (issue 16).
    const [{ delegatedLayout, unappliedLimitsNote }, { detectCgroups }] = await Promise.all([import('../runtime/embedded/rootless/rootless-cgroups.js'), import('../runtime/embedded/cgroups/detect.js')]);
    const note = unappliedLimitsNote(options.stack, Object.keys(options.stack.services), delegatedLayout(detectCgroups()));
    const refused = note?.replace(/^warning: limits not applied/, 'limits cannot be applied');
    if (refused && options.strictLimits) throw new UsageError(`${refused}; --strict-limits refuses to start without them`);
    // The file's x-hafen-strict-limits: true, named where it was written.
    if (refused && options.stack.strictLimits) throw new ConfigError([{ location: options.stack.source.locate('x-hafen-strict-limits'), message: `${refused}; it refuses to start without them` }]);
    if (note) say(note);
  }
  let supervisor: SupervisorClient | undefined;
  try {
    supervisor = (useEarly ? await early.client : undefined) ?? (options.supervise ? await ensureSupervisor(root, project, standby) : await connectSupervisor(root, project));
  } finally {
    standby?.dismiss(); // unless it was ordered to serve
  }
  if (supervisor) return withEmbeddedShips({ runtime: supervisor, supervisor, root, close: () => supervisor.close() }, options);
  // Loaded only here: `ps` and `port` of a supervised project never need the runtime in this process.
  const { EmbeddedRuntime } = await import('../runtime/embedded/embedded-runtime.js');
  const local = new EmbeddedRuntime({ root });
  return withEmbeddedShips({ runtime: local, root, close: () => local.close() }, options);
}

/** issue 19: a stack whose `ships:` are embedded runtimes on other hosts spreads over them and this machine. */
async function withEmbeddedShips(local: ProjectRuntime, options: OpenOptions): Promise<ProjectRuntime> {
  if (!options.stack || !Object.values(options.stack.ships).some((s) => s.embedded)) return local;
  const { openEmbeddedShips } = await import('../remote/embedded-ships.js');
  return openEmbeddedShips(local, options.stack, options);
}

/**
 * Docker: no supervisor, the engine owns the containers (restart policies and healthchecks are its
 * own). With `ships:`, each service goes to its ship's engine. The root only holds the project lock.
 */
async function openDocker(options: OpenOptions): Promise<ProjectRuntime> {
  // Loaded only here: dockerode (with ssh2) takes the better part of a second to import.
  const [{ DockerRuntime }, { dockerShips }] = await Promise.all([import('../runtime/docker/docker-runtime.js'), import('../runtime/docker/ships-runtime.js')]);
  const root = options.root ?? dockerStateRoot();
  const stack = options.stack;
  const embeddedShip = stack && Object.values(stack.ships).find((s) => s.embedded);
  if (embeddedShip) throw new UsageError(`ships.${embeddedShip.name} is the embedded runtime (runtime: embedded), which the ${options.runtime ?? 'docker'} runtime cannot drive; leave --runtime and runtime: out, or name embedded`);
  const runtime = stack && Object.keys(stack.ships).length > 0 ? dockerShips(stack) : new DockerRuntime({ stateRoot: root });
  return { runtime, root, close: () => runtime.close() };
}

/** Holds the project's lock while `fn` runs, so two commands never change one project at once. */
export async function withProjectLock<T>(root: string, project: string, fn: () => Promise<T>): Promise<T> {
  // Loaded here: the lock (node:crypto for its token) is for commands that change the project.
  const { lockProject } = await import('../runtime/embedded/state/project-lock.js');
  const lock: ProjectLock = await lockProject(root, project);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
