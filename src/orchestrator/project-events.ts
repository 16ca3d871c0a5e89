/**
 * The container events of one project as `stack events` and the dashboard follow them. On Docker
 * they are the engine's. On the embedded runtime there is no daemon: every process that acts on the
 * project's containers (its supervisor while one runs, the CLI's own runtime when none does; the
 * supervisor exits when nothing runs) appends what it did to the project's event log
 * (runtime/embedded/event-log.ts), and the follower reads that, from `since` on. When containers
 * run and no supervisor owns them (it was killed), one is started: it settles them as they exit
 * (their `die` events) and applies their restart policies.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedRuntime } from '../runtime/embedded/embedded-runtime.js';
import { containerNames, readRecord } from '../runtime/embedded/containers/container-record.js';
import { tailEventLog } from '../runtime/embedded/event-log.js';
import { lockProject } from '../runtime/embedded/state/index.js';
import { Label, type ContainerEvent, type Runtime } from '../runtime/runtime.js';
import { ensureSupervisor } from '../supervisor/spawn.js';
import { supervisorSocketPath } from '../supervisor/socket-path.js';
import { SupervisorClient } from '../supervisor/client.js';

/** How often a follower looks whether running containers have no supervisor. */
const LOOK_EVERY_MS = 1000;

export interface FollowOptions {
  project: string;
  /** The project's runtime as opened (`openProjectRuntime`): the embedded one's event log is followed, any other runtime directly. */
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
  const watching = keepSupervised(options.root, project, signal);
  try {
    yield* tailEventLog(options.root, project, { signal, ...(options.since !== undefined ? { since: options.since } : {}) });
  } finally {
    await watching;
  }
}

/** Until the signal aborts: starts a supervisor whenever the project has running containers and none owns them. */
async function keepSupervised(root: string, project: string, signal: AbortSignal): Promise<void> {
  const socket = supervisorSocketPath(root, project);
  while (!signal.aborted) {
    if (!fs.existsSync(socket) && hasRunning(root, project)) {
      const lock = await lockProject(root, project).catch(() => undefined); // another command holds it: it starts one
      if (lock) {
        try {
          await (await ensureSupervisor(root, project)).close();
        } catch {
          // Said by `stack ps`; the follower goes on reading what is done.
        } finally {
          lock.release();
        }
      }
    }
    await sleep(LOOK_EVERY_MS, undefined, { signal }).catch(() => undefined);
  }
}

function hasRunning(root: string, project: string): boolean {
  return containerNames(root, project).some((name) => readRecord(root, project, name)?.state === 'running');
}
