/**
 * Docker's default device rules on every RUN step, as Docker's builder confines its steps: each
 * step runs in a cgroup of its own under `hafen-build/` (a v1 devices cgroup, or on cgroup v2 one
 * with the BPF device program attached), so that a Dockerfile that `mknod`s a host disk cannot open
 * it. The cgroup goes when the step ends; folders a killed build left are removed by the next step.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_DEVICE_RULES, detectCgroups, removeCgroupDirs } from '../cgroups/index.js';
import { applyDeviceRules } from '../cgroups/device-policy.js';
import { isRootless } from '../rootless/user-namespace.js';

const PARENT = 'hafen-build';

/** A step's device cgroup: the directory the launcher joins, and its removal. */
export interface StepDeviceCgroup {
  dir: string;
  remove(): Promise<void>;
}

/** A new device cgroup for one step; undefined on a host with neither a v1 devices hierarchy nor cgroup v2. */
export function stepDeviceCgroup(): StepDeviceCgroup | undefined {
  // A user without root (issue 17) may not make cgroups, and in its user namespace no device node can be made or opened beyond the bound ones.
  if (isRootless()) return undefined;
  const layout = detectCgroups();
  const where = layout.controllers.devices;
  if (!where) return undefined;
  const parent = path.join(where.mount, PARENT);
  sweepStale(parent);
  // The pid in the name tells a live build's cgroup from one a killed build left.
  const name = `${PARENT}/${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = path.join(where.mount, name);
  mkdirRace(dir);
  try {
    applyDeviceRules(layout, name, DEFAULT_DEVICE_RULES);
  } catch (err) {
    fs.rmdirSync(dir);
    throw err;
  }
  return {
    dir,
    remove: async () => {
      await removeCgroupDirs([dir]);
      // The parent goes with the last step, so a finished build leaves no cgroup behind.
      try {
        fs.rmdirSync(parent);
      } catch {
        // another build's step is in it
      }
    },
  };
}

/** mkdir -p, again when a finishing build removed the parent between its two steps. */
function mkdirRace(dir: string): void {
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || i >= 5) throw err;
    }
  }
}

/** Removes the step cgroups of builds that are no longer running (an empty cgroup rmdirs; a busy one is left). */
function sweepStale(parent: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(entry.split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue;
    try {
      fs.rmdirSync(path.join(parent, entry));
    } catch {
      // still has a process, or not a cgroup of ours: left alone
    }
  }
}
