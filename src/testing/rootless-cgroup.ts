/**
 * A cgroup delegated by root to the rootless test user (issue 17), as an administrator would give
 * one: `<hierarchy>/NAME` made under the memory, cpu, cpuacct, pids and freezer hierarchies (on
 * cgroup v2: the one `<v2 mount>/NAME`, its controllers enabled) and chowned to the user, so the
 * user's containers get limits, stats and pause. The user names it with HAFEN_CGROUP_PARENT=NAME;
 * NAME `hafen-<uid>` is the folder a user's runtime takes by default on v1. `remove()` kills what
 * is left in it and removes it, deepest first (tests call it even when they fail).
 *
 * A test's own folder is named `hafen-rlt<pid>-<random>` after the process that made it, so a folder
 * whose maker has ended is known as a leak (orphanedDelegatedCgroups): the final leak checks of the
 * rootless test targets report it, whichever test file made it.
 *
 * The devices controller is never delegated (a user namespace cannot use one): device checks stay
 * root-only.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { detectCgroups, type CgroupLayout, type Controller } from '../runtime/embedded/cgroups/detect.js';
import type { Requirement } from './requirements.js';
import { rootlessUser } from './rootless-user.js';

/** The controllers a user's limits, stats and pause need. */
export const DELEGATED_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'freezer'] as const satisfies readonly Controller[];
export type DelegatedController = (typeof DELEGATED_CONTROLLERS)[number];

/** A cgroup folder given to the rootless test user. */
export interface DelegatedCgroup {
  /** HAFEN_CGROUP_PARENT for it. */
  name: string;
  /** The delegated folder of each controller (cpu and cpuacct may share one). */
  folders: Map<DelegatedController, string>;
  /** The cgroups the user's containers made in it (empty once they all went). */
  children(): string[];
  /** Kills what runs in it and removes it (only the folders this call made). */
  remove(): void;
}

/** Why no cgroup can be delegated to the test user here (a controller its limits need is missing), or undefined. */
export function whyNoCgroupDelegation(layout: CgroupLayout = detectCgroups()): string | undefined {
  const missing = DELEGATED_CONTROLLERS.filter((c) => !layout.controllers[c] && !onV2Anyway(layout, c));
  return missing.length === 0 ? undefined : `this host has no cgroup hierarchy for ${missing.join(', ')}, so none can be delegated to the rootless test user`;
}

/** A cgroup can be delegated to the test user here (tests of limits as that user). */
export function requireCgroupDelegation(): Requirement {
  return { name: 'cgroup delegation', check: () => whyNoCgroupDelegation() };
}

/** On v2, cpuacct's usage is cpu.stat and freezing is cgroup.freeze: no controller of their own. */
function onV2Anyway(layout: CgroupLayout, c: DelegatedController): boolean {
  return (c === 'cpuacct' || c === 'freezer') && layout.controllers.cpu?.version === 2;
}

/** The folder of `name` for each delegated controller. */
function foldersOf(layout: CgroupLayout, name: string): Map<DelegatedController, string> {
  const folders = new Map<DelegatedController, string>();
  for (const c of DELEGATED_CONTROLLERS) {
    const m = layout.controllers[c] ?? (onV2Anyway(layout, c) ? layout.controllers.cpu : undefined);
    if (m) folders.set(c, path.join(m.mount, name));
  }
  return folders;
}

/** Gives the user `dir` as an administrator delegates a cgroup: the folder and the files that move processes in (v2: and enable controllers). */
function delegate(dir: string, version: 1 | 2): void {
  const { uid, gid } = rootlessUser();
  fs.chownSync(dir, uid, gid);
  const files = version === 1 ? ['cgroup.procs', 'tasks'] : ['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control'];
  for (const f of files) fs.chownSync(path.join(dir, f), uid, gid);
}

/** On v2, the controllers the user's children need must be enabled in the parent (and its parent, up to the mount). */
function enableV2Controllers(mount: string, dir: string): void {
  for (const at of [mount, dir]) {
    const offered = fs.readFileSync(path.join(at, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    const wanted = ['memory', 'cpu', 'pids'].filter((c) => offered.includes(c));
    if (wanted.length > 0) fs.writeFileSync(path.join(at, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
  }
}

/** The form of newDelegatedCgroupName's names; the maker's pid is the first group. */
const TEST_NAME = /^hafen-rlt(\d+)-[0-9a-f]+$/;

/** A test's delegated cgroup name: `hafen-rlt<pid of this process>-<random>`. */
export function newDelegatedCgroupName(): string {
  return `hafen-rlt${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Makes `<hierarchy>/NAME` (default newDelegatedCgroupName(), a name of this test's own) for each
 * delegated controller and gives it to the rootless test user. Folders that exist already are
 * used as they are and left in place by `remove()`.
 */
export function delegateCgroupToRootlessUser(name = newDelegatedCgroupName()): DelegatedCgroup {
  const layout = detectCgroups();
  const folders = foldersOf(layout, name);
  const made: string[] = [];
  for (const [c, dir] of folders) {
    if (made.includes(dir) || fs.existsSync(dir)) continue;
    const version = (layout.controllers[c] ?? layout.controllers.cpu)!.version;
    fs.mkdirSync(dir);
    made.push(dir);
    if (version === 2) enableV2Controllers(path.dirname(dir), dir);
    delegate(dir, version);
  }
  const unique = () => [...new Set(folders.values())];
  return {
    name,
    folders,
    children: () => unique().flatMap((dir) => subfolders(dir)),
    remove: () => {
      for (const dir of made.reverse()) removeCgroupTree(dir);
    },
  };
}

/**
 * The test cgroups (`<hierarchy>/hafen-rlt<pid>-…`) whose maker has ended: nobody will remove them
 * any more, so they are leaks. A folder of a process that still runs (another test file) is not.
 */
export function orphanedDelegatedCgroups(layout: CgroupLayout = detectCgroups()): string[] {
  const mounts = new Set(Object.values(layout.controllers).flatMap((m) => (m ? [m.mount] : [])));
  const orphans: string[] = [];
  for (const mount of mounts) {
    let names: string[];
    try {
      names = fs.readdirSync(mount);
    } catch {
      continue;
    }
    for (const name of names) {
      const maker = TEST_NAME.exec(name)?.[1];
      if (maker !== undefined && !fs.existsSync(`/proc/${maker}`)) orphans.push(path.join(mount, name));
    }
  }
  return orphans.sort();
}

/** The leak check's part for orphanedDelegatedCgroups: one line for each, and each removed (so one leak fails one check, not every later one). */
export function orphanedDelegatedCgroupLeaks(): string[] {
  return orphanedDelegatedCgroups().map((dir) => {
    removeCgroupTree(dir);
    return `cgroup ${dir} (delegated to the rootless user by a test process that has ended)`;
  });
}

/** The cgroup folders below `dir`, deepest first. */
function subfolders(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((d) => d.isDirectory())
    .map((d) => path.join(d.parentPath, d.name))
    .sort((a, b) => b.length - a.length);
}

/** Kills what is left in `dir`'s cgroups (deepest first) and removes them, then `dir`. */
export function removeCgroupTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const d of [...subfolders(dir), dir]) {
    let procs = '';
    try {
      procs = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8');
    } catch {
      continue; // removed meanwhile (by the runtime itself)
    }
    for (const pid of procs.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
    }
  }
}
