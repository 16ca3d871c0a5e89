/**
 * The container events of one project as `stack events` and the dashboard follow them. On Docker
 * they are the engine's. On the embedded runtime there is no daemon: the project's supervisor is
 * where its containers are created, started, checked, stopped and removed (every CLI call that
 * changes a container goes through it while it runs), so the events come from it; supervisors come
 * (`up`) and go (`down`), and the follower goes with them, asking each new one for its events since
 * the last one went (it keeps a backlog), so nothing between two is lost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedRuntime } from '../runtime/embedded/embedded-runtime.js';
import { containerNames } from '../runtime/embedded/containers/container-record.js';
import { lockProject } from '../runtime/embedded/state/index.js';
import { Label, type ContainerEvent, type Runtime } from '../runtime/runtime.js';
import { connectSupervisor, ensureSupervisor } from '../supervisor/spawn.js';
import { SupervisorClient } from '../supervisor/client.js';

/** How often a follower with no supervisor to ask looks again. */
const LOOK_EVERY_MS = 50;

export interface FollowOptions {
  project: string;
  /** The project's runtime as opened (`openProjectRuntime`): the embedded one's supervisors are followed, any other runtime directly. */
  runtime: Runtime;
  /** The embedded state root. */
  root: string;
  signal: AbortSignal;
  /** ISO time or epoch ms; default: now. */
  since?: string | number;
}

/** The project's container events until the signal aborts. */
export async function* followProjectEvents(options: FollowOptions): AsyncIterable<ContainerEvent> {
  const { project, runtime, signal } = options;
  const labels = { [Label.project]: project };
  if (!(runtime instanceof EmbeddedRuntime || runtime instanceof SupervisorClient)) {
    yield* runtime.events(labels, { signal, ...(options.since !== undefined ? { since: options.since } : {}) });
    return;
  }
  let since: string | number = options.since ?? Date.now();
  while (!signal.aborted) {
    const supervisor = await supervisorOf(options.root, project);
    if (!supervisor) {
      await sleep(LOOK_EVERY_MS, undefined, { signal }).catch(() => undefined);
      continue;
    }
    try {
      for await (const event of supervisor.events(labels, { signal, since })) yield event;
    } finally {
      await supervisor.close().catch(() => undefined);
    }
    // This supervisor was shut down (`down`); the next one's events all come after this moment.
    since = Date.now();
    await sleep(LOOK_EVERY_MS, undefined, { signal }).catch(() => undefined);
  }
}

/**
 * The project's supervisor: the running one, or, when the project has containers but none runs (it
 * was killed), a new one (it takes them over), so that what is done to them is seen. Undefined
 * while the project has no containers, or another command holds the project (it will start one).
 */
async function supervisorOf(root: string, project: string): Promise<SupervisorClient | undefined> {
  const running = await connectSupervisor(root, project);
  if (running) return running;
  if (containerNames(root, project).length === 0) return undefined;
  let lock;
  try {
    lock = await lockProject(root, project);
  } catch {
    return undefined;
  }
  try {
    return await ensureSupervisor(root, project);
  } finally {
    lock.release();
  }
}
