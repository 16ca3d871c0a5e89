/**
 * Waiting for a container's end, and bringing it about: the stop signal (the spec's, the image's,
 * or SIGTERM) to its init, which passes it on, then SIGKILL once the grace period is over. A
 * program that handles SIGTERM is gone in milliseconds; the wait is woken by the launcher's status file.
 */
import { RuntimeError } from '../../../errors.js';
import { containerPaths } from '../state/index.js';
import { readRecord, type ContainerRecord } from './container-record.js';
import { isOver, liveProbe, observe, type Observed } from './container-state.js';
import { signalContainer } from './container-signals.js';
import { stopSignal } from './process-spec.js';
import type { RuntimeContext } from './runtime-context.js';
import { waitUntil } from './wait-until.js';
import { thawDirs } from '../cgroups/freezer.js';

/** Docker's default stop grace period. */
export const DEFAULT_GRACE_MS = 10_000;
/** How long a SIGKILLed container is given to be gone. */
const KILL_WAIT_MS = 10_000;

/** The entries of a container's folder whose change may mean it ended: the launcher's status file, and its record (replaced or removed). */
const END_FILES = ['status', 'container.json'] as const;

/** The live state of a container of `root`. */
export function observeLive(root: string, record: ContainerRecord): Observed {
  return observe(record, liveProbe(containerPaths(root, record.project, record.name).status));
}

/** Resolves true once the container is over, false after `timeoutMs`. */
async function waitOver(root: string, record: ContainerRecord, timeoutMs: number): Promise<boolean> {
  const dir = containerPaths(root, record.project, record.name).dir;
  return (await waitUntil(dir, () => (isOver(observeLive(root, record)) ? true : undefined), { timeoutMs, pollMs: 50, files: END_FILES })) === true;
}

/** SIGKILLs the container and waits until it is gone. */
export async function killAndWait(root: string, record: ContainerRecord): Promise<void> {
  if (record.run) {
    signalContainer(record.run, 'SIGKILL');
    thawDirs(record.run.process.cgroups); // a paused container takes the signal once thawed, as Docker does it
  }
  if (!(await waitOver(root, record, KILL_WAIT_MS))) {
    throw new RuntimeError(`container ${record.name}`, `still running ${KILL_WAIT_MS} ms after SIGKILL`);
  }
}

/** Stops a running container: its stop signal, `timeoutMs` (default: its grace period) of patience, then SIGKILL. */
export async function stopRunning(ctx: RuntimeContext, record: ContainerRecord, timeoutMs?: number): Promise<void> {
  if (!record.run) return;
  const signal = stopSignal(record.spec, record.image.config);
  const grace = timeoutMs ?? record.spec.stopGracePeriod ?? DEFAULT_GRACE_MS;
  ctx.log(`Stopping container ${record.name} (${signal}, ${grace} ms grace)`);
  signalContainer(record.run, signal);
  thawDirs(record.run.process.cgroups); // a paused container takes the signal once thawed, as Docker does it
  if (!(await waitOver(ctx.root, record, grace))) {
    ctx.log(`Container ${record.name} still runs after ${grace} ms: SIGKILL`);
    await killAndWait(ctx.root, record);
  }
}

/** Resolves once the container (started, now or later) is over; rejects when it is removed meanwhile or `signal` aborts. */
export async function waitForEnd(root: string, record: ContainerRecord, signal?: AbortSignal): Promise<void> {
  const { project, name } = record;
  const check = (): true | undefined => {
    const now = readRecord(root, project, name);
    if (!now) throw new RuntimeError(`container ${name}`, 'was removed while waiting for it to exit');
    return now.state !== 'created' && isOver(observeLive(root, now)) ? true : undefined;
  };
  // The status file's rename wakes it at once; the poll (for a launcher killed outright) slows down
  // over a long wait: a supervisor waits so on every running container (issue 16: its CPU and memory).
  await waitUntil(containerPaths(root, project, name).dir, check, { pollMs: 200, maxPollMs: 2000, files: END_FILES, ...(signal ? { signal } : {}) });
}
