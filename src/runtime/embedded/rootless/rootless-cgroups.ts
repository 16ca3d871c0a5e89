/**
 * cgroups for a user without root (issue 17). Such a user may only create cgroups in a subtree
 * delegated to it, which becomes the parent of its containers' `hafen/<project>/<container>`
 * cgroups (in place of the hierarchy's root, which root's runtime uses). Found, per controller:
 *  - HAFEN_CGROUP_PARENT=NAME: `<hierarchy>/NAME` (a folder root made and gave to the user), or an
 *    absolute path of a cgroup on a pure cgroup v2 host;
 *  - else on cgroup v2: the nearest ancestor of this process's own cgroup that the user may write,
 *    with a writable cgroup.subtree_control (systemd's user@UID.service with Delegate=yes);
 *  - else on a v1 hierarchy: `<hierarchy>/hafen-<uid>`, when root made it and gave it to the user.
 * NOT `<hierarchy>/hafen`: root's runtime keeps its containers there, so delegating it would hand
 * root's cgroups to a user. Controllers without such a parent are left out of the layout:
 * containers then run in the cgroup of whoever started them, their limits are not applied, and
 * `up` says so once, naming the services and the limits (or refuses, with --strict-limits).
 * The devices controller is never part of it (see below).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Stack } from '../../../config/model.js';
import { CONTROLLERS, type CgroupLayout, type Controller, type ControllerMount } from '../cgroups/detect.js';
import { hostUid } from './user-namespace.js';

/** What the discovery reads from the host (injectable, so a fake cgroup tree can stand in). */
export interface DelegationProbe {
  /** The user's host uid (not 0 inside its user namespace). */
  uid: number;
  /** HAFEN_CGROUP_PARENT, when set. */
  parent?: string | undefined;
  /** This process's cgroup v2 path (`/user.slice/…` from /proc/self/cgroup's `0::` line), if any. */
  selfCgroup?: string | undefined;
  /** Whether this user may write `file` (a folder: make children in it). */
  writable(file: string): boolean;
  /** The controllers a v2 cgroup folder may enable for its children (its cgroup.controllers). */
  v2Controllers(dir: string): string[];
}

/** Controllers that v2 must enable in each ancestor's cgroup.subtree_control (the others need none). */
const V2_ENABLED: readonly Controller[] = ['memory', 'cpu', 'pids'];

/** The part of `layout` this user may write: each kept controller's `mount` is the parent delegated to the user. */
export function delegatedLayout(layout: CgroupLayout, probe: DelegationProbe = hostProbe()): CgroupLayout {
  const v2Parent = layout.v2Mount ? v2ParentOf(layout, layout.v2Mount, probe) : undefined;
  const controllers = {} as Record<Controller, ControllerMount | undefined>;
  for (const c of CONTROLLERS) {
    const m = layout.controllers[c];
    controllers[c] = undefined;
    // Device rules need privilege a user lacks (v1 devices.allow/deny, v2 attaching a BPF program):
    // never delegated; the user namespace keeps host devices shut instead (start-container.ts).
    if (!m || c === 'devices') continue;
    if (m.version === 2) {
      if (v2Parent && (!V2_ENABLED.includes(c) || probe.v2Controllers(v2Parent).includes(c))) controllers[c] = { version: 2, mount: v2Parent };
      continue;
    }
    const dir = v1ParentOf(m.mount, probe);
    if (dir && probe.writable(dir)) controllers[c] = { version: 1, mount: dir };
  }
  return { ...layout, controllers, ...(v2Parent ? { v2Mount: v2Parent } : {}) };
}

/** `<mount>/NAME` (HAFEN_CGROUP_PARENT) or `<mount>/hafen-<uid>`; undefined for an absolute NAME (v2 only). */
function v1ParentOf(mount: string, probe: DelegationProbe): string | undefined {
  if (probe.parent === undefined) return path.join(mount, `hafen-${probe.uid}`);
  return path.isAbsolute(probe.parent) ? undefined : inside(mount, probe.parent);
}

/** The v2 folder given or found for this user, when it may make children there and enable controllers in it. */
function v2ParentOf(layout: CgroupLayout, mount: string, probe: DelegationProbe): string | undefined {
  const usable = (dir: string) => probe.writable(dir) && probe.writable(path.join(dir, 'cgroup.subtree_control'));
  if (probe.parent !== undefined) {
    // An absolute path names one cgroup for every controller: only meaningful when all are on v2.
    const pureV2 = CONTROLLERS.every((c) => layout.controllers[c]?.version !== 1);
    const dir = path.isAbsolute(probe.parent) ? (pureV2 ? inside(mount, path.relative(mount, probe.parent)) : undefined) : inside(mount, probe.parent);
    return dir && usable(dir) ? dir : undefined;
  }
  if (!probe.selfCgroup) return undefined;
  // The process's own cgroup holds the process itself: v2 forbids enabling controllers in a cgroup with
  // processes in it (the no-internal-process rule), so the search starts at its parent.
  const parts = probe.selfCgroup.split('/').filter(Boolean);
  for (let i = parts.length - 1; i >= 1; i--) {
    const dir = path.join(mount, ...parts.slice(0, i));
    if (usable(dir)) return dir;
  }
  return undefined;
}

/** `mount/name`, or undefined when `name` would leave the mount (`..`). */
function inside(mount: string, name: string): string | undefined {
  const dir = path.resolve(mount, name);
  return dir !== mount && dir.startsWith(`${mount}/`) ? dir : undefined;
}

/** The probe of this host: HAFEN_CGROUP_PARENT, /proc/self/cgroup, access(2). */
export function hostProbe(env: NodeJS.ProcessEnv = process.env): DelegationProbe {
  const own = readOr('/proc/self/cgroup', '')
    .split('\n')
    .find((line) => line.startsWith('0::'));
  return {
    uid: hostUid() ?? process.getuid?.() ?? 0,
    parent: env.HAFEN_CGROUP_PARENT || undefined,
    selfCgroup: own?.slice(3),
    writable: isWritable,
    v2Controllers: (dir) => readOr(path.join(dir, 'cgroup.controllers'), '').trim().split(/\s+/).filter(Boolean),
  };
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function isWritable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const LIMIT_CONTROLLER = { memory: 'memory', cpus: 'cpu', pids: 'pids' } as const;

/**
 * The one line `up` says when limits of `services` cannot be applied under `layout` (no delegated
 * controller for them), or undefined when every limit can be.
 */
export function unappliedLimitsNote(stack: Stack, services: Iterable<string>, layout: CgroupLayout, uid: number | undefined = hostUid()): string | undefined {
  const parts: string[] = [];
  for (const name of services) {
    const resources = stack.services[name]?.resources ?? {};
    const missing = (Object.keys(LIMIT_CONTROLLER) as (keyof typeof LIMIT_CONTROLLER)[]).filter((k) => resources[k] !== undefined && !layout.controllers[LIMIT_CONTROLLER[k]]);
    if (missing.length > 0) parts.push(`${name} (${missing.join(', ')})`);
  }
  if (parts.length === 0) return undefined;
  const own = `hafen-${uid ?? '<uid>'}`;
  return `warning: limits not applied to ${parts.join(', ')}: a user without root may only set limits in a cgroup delegated to it, and none is writable (root: mkdir <hierarchy>/${own} for each of memory, cpu, pids and chown it to you, or any folder named by HAFEN_CGROUP_PARENT=NAME; on cgroup v2, run under a systemd user session with Delegate=yes)`;
}
