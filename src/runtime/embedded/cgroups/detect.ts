/**
 * Which cgroup hierarchy serves each controller hafen uses. A controller is on v1 when a v1
 * hierarchy is mounted with it (/proc/cgroups gives it a hierarchy id); otherwise on v2 when the
 * cgroup2 mount offers it in cgroup.controllers. Hosts may mix both ("hybrid"), per controller.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readMountInfo, type MountEntry } from '../mountinfo.js';

/**
 * The controllers hafen uses: limits (memory, cpu, pids), CPU accounting (cpuacct on v1) and device
 * access (the devices controller on v1; on v2 a BPF program attached to the cgroup, no controller),
 * and pausing (the freezer controller on v1; on v2 every cgroup's own cgroup.freeze).
 */
export const CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'devices', 'freezer'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** Where one controller lives: a v1 hierarchy mounted at `mount`, or the v2 tree mounted at `mount`. */
export type ControllerMount = { version: 1; mount: string } | { version: 2; mount: string };

/** The host's cgroup layout as hafen needs it. */
export interface CgroupLayout {
  /** Each controller's hierarchy, or undefined when the kernel lacks it (or it is not mounted). */
  controllers: Record<Controller, ControllerMount | undefined>;
  /** The cgroup2 mount, when there is one (also on v1 hosts, where it may hold no controllers). */
  v2Mount?: string;
  /** Every mount point of a v1 hierarchy, named or not (for leak checks). */
  v1Mounts: string[];
}

/** Parses /proc/cgroups: controller name → (hierarchy id, enabled). */
function readProcCgroups(text: string): Map<string, { hierarchy: number; enabled: boolean }> {
  const out = new Map<string, { hierarchy: number; enabled: boolean }>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, hierarchy, , enabled] = line.split(/\s+/);
    if (name) out.set(name, { hierarchy: Number(hierarchy), enabled: enabled === '1' });
  }
  return out;
}

function readFileOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Works the layout out from mountinfo and /proc/cgroups (both injectable for tests). */
export function layoutFrom(mounts: MountEntry[], procCgroups: string, v2Controllers: (mount: string) => string[]): CgroupLayout {
  const known = readProcCgroups(procCgroups);
  const v1 = mounts.filter((m) => m.fsType === 'cgroup');
  const v2 = mounts.find((m) => m.fsType === 'cgroup2');
  const offered = v2 ? new Set(v2Controllers(v2.mountPoint)) : new Set<string>();
  const controllers = {} as Record<Controller, ControllerMount | undefined>;
  for (const c of CONTROLLERS) {
    const info = known.get(c);
    const onV1 = v1.find((m) => m.superOptions.includes(c));
    if (onV1 && (!info || (info.enabled && info.hierarchy !== 0))) {
      controllers[c] = { version: 1, mount: onV1.mountPoint };
    } else if (v2 && (c === 'cpuacct' || c === 'devices' || c === 'freezer' || offered.has(c))) {
      // On v2, CPU accounting (cpu.stat usage_usec) is always there, with or without the cpu controller;
      // device access is a BPF program attached to the cgroup, which any v2 cgroup takes; freezing is
      // every non-root cgroup's cgroup.freeze (kernel 5.2+).
      controllers[c] = { version: 2, mount: v2.mountPoint };
    } else {
      controllers[c] = undefined;
    }
  }
  return {
    controllers,
    ...(v2 ? { v2Mount: v2.mountPoint } : {}),
    v1Mounts: v1.map((m) => m.mountPoint),
  };
}

/** Detects the layout of this host, from /proc/self/mountinfo and /proc/cgroups. */
export function detectCgroups(): CgroupLayout {
  return layoutFrom(readMountInfo(), readFileOr('/proc/cgroups', ''), (mount) =>
    readFileOr(path.join(mount, 'cgroup.controllers'), '').trim().split(/\s+/).filter(Boolean),
  );
}

/** Every directory in which `name` (e.g. `hafen/shop/db`) lives for this layout: one per v1 hierarchy used, plus the v2 one. */
export function cgroupDirs(layout: CgroupLayout, name: string): string[] {
  const dirs = new Set<string>();
  for (const c of CONTROLLERS) {
    const m = layout.controllers[c];
    if (m) dirs.add(path.join(m.mount, name));
  }
  return [...dirs];
}
