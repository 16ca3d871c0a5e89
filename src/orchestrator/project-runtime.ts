/**
 * The runtime a command works through for one project. On the embedded runtime that is the
 * project's supervisor (started when the command brings containers up), or, when none runs and the
 * command only looks or tears down, this process's own EmbeddedRuntime.
 */
import type { RuntimeName } from '../config/model.js';
import { UsageError } from '../errors.js';
import { EmbeddedRuntime } from '../runtime/embedded/embedded-runtime.js';
import { lockProject, type ProjectLock } from '../runtime/embedded/state/index.js';
import { defaultRoot } from '../runtime/embedded/store/index.js';
import type { Runtime } from '../runtime/runtime.js';
import type { SupervisorClient } from '../supervisor/client.js';
import { connectSupervisor, ensureSupervisor } from '../supervisor/spawn.js';

export interface ProjectRuntime {
  readonly runtime: Runtime;
  /** The supervisor's client, when one owns the project. */
  readonly supervisor?: SupervisorClient;
  /** The state root (embedded). */
  readonly root: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** `runtime:` of the file or `--runtime`; embedded when unset. */
  runtime?: RuntimeName;
  /** Start the supervisor when none runs (commands that start containers). */
  supervise: boolean;
  root?: string;
}

/** Opens the runtime of `project`. */
export async function openProjectRuntime(project: string, options: OpenOptions): Promise<ProjectRuntime> {
  if (options.runtime === 'docker') {
    throw new UsageError('the docker runtime is not available yet (issue 6); use the embedded runtime (the default)');
  }
  const root = options.root ?? defaultRoot();
  const supervisor = options.supervise ? await ensureSupervisor(root, project) : await connectSupervisor(root, project);
  if (supervisor) return { runtime: supervisor, supervisor, root, close: () => supervisor.close() };
  const local = new EmbeddedRuntime({ root });
  return { runtime: local, root, close: () => local.close() };
}

/** Holds the project's lock while `fn` runs, so two commands never change one project at once. */
export async function withProjectLock<T>(root: string, project: string, fn: () => Promise<T>): Promise<T> {
  const lock: ProjectLock = await lockProject(root, project);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
