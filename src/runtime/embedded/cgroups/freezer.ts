/**
 * Pausing a container's processes with the cgroup freezer, as `docker pause` does: v1's freezer
 * controller (`freezer.state` FROZEN / THAWED) or v2's `cgroup.freeze` (1 / 0, `frozen 1` in
 * cgroup.events once done). A frozen process takes no signal, SIGKILL included, until thawed (on
 * v1), so whatever kills or removes a container thaws it too (`thawDirs`).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasCgroupFile, readCgroupFile, readCgroupKey, writeCgroupFile } from './cgroup-files.js';
import type { CgroupLayout } from './detect.js';

/** How long freezing may take before it is reported as failed (a process stuck in the kernel). */
const FREEZE_MS = 5000;

/** The freezer directory of cgroup `name`, and its version; undefined when the host has no freezer. */
function freezerDir(layout: CgroupLayout, name: string): { version: 1 | 2; dir: string } | undefined {
  const m = layout.controllers.freezer;
  return m && { version: m.version, dir: path.join(m.mount, name) };
}

/** Whether the cgroup's processes are frozen (or being frozen) now. */
export function isFrozen(layout: CgroupLayout, name: string): boolean {
  const f = freezerDir(layout, name);
  if (!f) return false;
  if (f.version === 1) {
    const state = readCgroupFile(f.dir, 'freezer.state');
    return state === 'FROZEN' || state === 'FREEZING';
  }
  return readCgroupFile(f.dir, 'cgroup.freeze') === '1';
}

/**
 * Freezes every process of cgroup `name` and waits until the kernel says they are; throws a plain
 * sentence when this host or this container's cgroup cannot be frozen.
 */
export async function freeze(layout: CgroupLayout, name: string): Promise<void> {
  const f = freezerDir(layout, name);
  if (!f) throw new Error('this host mounts no cgroup freezer (v1 freezer controller or cgroup v2)');
  const file = f.version === 1 ? 'freezer.state' : 'cgroup.freeze';
  if (!hasCgroupFile(f.dir, file)) throw new Error(`its cgroup has no ${file} (a container created by an older hafen: recreate it)`);
  writeCgroupFile(f.dir, file, f.version === 1 ? 'FROZEN' : '1');
  const deadline = Date.now() + FREEZE_MS;
  for (;;) {
    const done = f.version === 1 ? readCgroupFile(f.dir, file) === 'FROZEN' : readCgroupKey(f.dir, 'cgroup.events', 'frozen') === 1;
    if (done) return;
    if (Date.now() > deadline) {
      thawDirs([f.dir]);
      throw new Error(`its processes were not all frozen after ${FREEZE_MS} ms; left running`);
    }
    if (f.version === 1) writeCgroupFile(f.dir, file, 'FROZEN'); // v1 retries a FREEZING cgroup when asked again
    await sleep(5);
  }
}

/** Thaws cgroup `name`; one that is not frozen (or has no freezer) is left as it is. */
export function thaw(layout: CgroupLayout, name: string): void {
  const f = freezerDir(layout, name);
  if (f) thawDirs([f.dir]);
}

/**
 * Thaws whichever of `dirs` (a cgroup's directories, any hierarchy) is a freezer: called before
 * killing what is in them, since a frozen v1 process never dies of SIGKILL. Missing ones are skipped.
 */
export function thawDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']] as const) {
      if (!hasCgroupFile(dir, file)) continue;
      try {
        writeCgroupFile(dir, file, value);
      } catch {
        // Gone meanwhile: nothing left to thaw.
      }
    }
  }
}
