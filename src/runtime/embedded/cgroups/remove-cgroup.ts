/**
 * Removing a cgroup for good: SIGKILL what is left in it (cgroup.kill on v2 when the kernel has it),
 * wait until it is empty, rmdir it (retrying briefly on EBUSY), rmdir its project parent
 * `hafen/<project>` and the shared `hafen` above it when they are empty too, and check that the
 * directory is really gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasCgroupFile, readCgroupProcs, writeCgroupFile } from './cgroup-files.js';
import { thawDirs } from './freezer.js';

/** Why a cgroup directory could not be removed; `dir` names it. */
export class CgroupRemoveError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'CgroupRemoveError';
  }
}

/** How long removal waits for processes to die and for the kernel to let go of a directory. */
export interface RemoveTimeouts {
  /** Waiting for SIGKILLed processes to leave the cgroup (ms, default 5000). */
  emptyMs?: number;
  /** Retrying rmdir on EBUSY (ms, default 2000). */
  busyMs?: number;
}

/** All pids in any of `dirs`, each once. */
export function cgroupPids(dirs: readonly string[]): number[] {
  return [...new Set(dirs.flatMap(readCgroupProcs))];
}

/** SIGKILLs every process in `dirs` until none is left; throws naming the survivors after `emptyMs`. */
export async function emptyCgroups(dirs: readonly string[], emptyMs = 5000): Promise<void> {
  const deadline = Date.now() + emptyMs;
  let pause = 2;
  for (;;) {
    const pids = cgroupPids(dirs);
    if (pids.length === 0) return;
    // Never SIGKILL the process doing the removal.
    if (pids.includes(process.pid)) throw new CgroupRemoveError(dirs[0]!, `this process (${process.pid}) is in it; not killed`);
    if (Date.now() > deadline) {
      throw new CgroupRemoveError(dirs[0]!, `processes ${pids.join(', ')} still in it ${emptyMs} ms after SIGKILL`);
    }
    for (const dir of dirs) {
      if (hasCgroupFile(dir, 'cgroup.kill')) {
        try {
          writeCgroupFile(dir, 'cgroup.kill', '1');
        } catch {
          // Falls back to killing one by one below.
        }
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    thawDirs(dirs); // a paused (frozen) process takes its SIGKILL only once thawed
    await sleep(pause);
    pause = Math.min(pause * 2, 50);
  }
}

/** rmdir that retries on EBUSY for up to `busyMs`; a directory already gone is fine. */
async function rmdirRetry(dir: string, busyMs: number): Promise<void> {
  const deadline = Date.now() + busyMs;
  let pause = 5;
  for (;;) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) {
        const why = code === 'EBUSY' ? `still busy after ${busyMs} ms` : (err as Error).message;
        throw new CgroupRemoveError(dir, `cannot remove: ${why}`);
      }
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 100);
  }
}

/** The project folder `…/hafen/<project>` above a container's cgroup, if `dir` has that shape. */
export function projectCgroupDir(dir: string): string | undefined {
  const parent = path.dirname(dir);
  return path.basename(path.dirname(parent)) === 'hafen' ? parent : undefined;
}

/** rmdir of a parent that may still hold other cgroups, or be gone already: either is fine. */
function rmdirIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // ENOTEMPTY/EBUSY: another container's or project's cgroup is still there; ENOENT: removed by someone else.
  }
}

/** Removes the empty `…/hafen/<project>` folder above a container's cgroup `dir`, then an empty shared `…/hafen`; ones still in use stay. */
export function removeEmptyParents(dir: string): void {
  const parent = projectCgroupDir(dir);
  if (!parent) return;
  rmdirIfEmpty(parent);
  rmdirIfEmpty(path.dirname(parent));
}

/** Empties and removes the cgroup directories `dirs` (one per hierarchy), then their empty project and `hafen` parents. */
export async function removeCgroupDirs(dirs: readonly string[], timeouts: RemoveTimeouts = {}): Promise<void> {
  const present = dirs.filter((d) => fs.existsSync(d));
  if (present.length > 0) {
    await emptyCgroups(present, timeouts.emptyMs);
    for (const dir of present) await rmdirRetry(dir, timeouts.busyMs ?? 2000);
  }
  for (const dir of dirs) removeEmptyParents(dir);
  const left = dirs.filter((d) => fs.existsSync(d));
  if (left.length > 0) throw new CgroupRemoveError(left[0]!, 'still exists after rmdir');
}
