/**
 * The leak check every e2e test ends with: what of a project is still on the real system. Looks at
 * mounts (/proc/self/mountinfo), network namespaces (/run/netns), links (/sys/class/net, by the
 * naming of src/runtime/embedded/link-names.ts), cgroup folders `hafen/<project>` in every hierarchy
 * (and the shared `hafen` folder left empty), and processes whose cgroup is under `hafen/<project>`.
 * Tests assert the list is empty.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readMountInfo } from '../runtime/embedded/mountinfo.js';
import { isProjectLink, NETNS_DIR, netnsPrefix } from '../runtime/embedded/link-names.js';
import { readProcStat } from '../runtime/embedded/process-info.js';
import { projectDir } from '../runtime/embedded/state/project-paths.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js';

export {
  bridgeName,
  hostVethName,
  isProjectLink,
  LINK_NAME_MAX,
  netnsName,
  netnsPrefix,
  peerVethName,
  projectLinkTag,
} from '../runtime/embedded/link-names.js';

/** Where to look: the state root of the run being checked (default: HAFEN_ROOT or /var/lib/hafen). */
export interface LeakOptions {
  root?: string;
  /** The cgroup mount points to look in (default: every mounted hierarchy). */
  cgroupMounts?: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Mounts of the project: below its state folder, its netns binds, or any path naming `hafen/<project>` (in `mountInfo`: another mount namespace's too). */
export function mountLeaks(project: string, stateDir: string, mountInfo = '/proc/self/mountinfo'): string[] {
  const named = new RegExp(`(^|/)hafen[/.]${escapeRegExp(project)}([/.]|$)`);
  return readMountInfo(mountInfo)
    .filter((m) => m.mountPoint === stateDir || m.mountPoint.startsWith(`${stateDir}/`) || named.test(m.mountPoint))
    .map((m) => `mount ${m.mountPoint} (${m.fsType})`);
}

function netnsLeaks(project: string): string[] {
  const prefix = netnsPrefix(project);
  return readDir(NETNS_DIR)
    .filter((n) => n.startsWith(prefix))
    .map((n) => `netns ${path.join(NETNS_DIR, n)}`);
}

function linkLeaks(project: string): string[] {
  return readDir('/sys/class/net')
    .filter((n) => isProjectLink(project, n))
    .map((n) => `link ${n}${fs.existsSync(`/sys/class/net/${n}/bridge`) ? ' (bridge)' : ''}`);
}

/** iptables rules that name one of the project's links (the bridge accept rules). */
function firewallLeaks(project: string): string[] {
  const r = spawnSync('iptables', ['-w', '5', '-S', 'FORWARD'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .filter((line) => line.split(' ').some((word) => isProjectLink(project, word)))
    .map((line) => `firewall rule ${line}`);
}

/** The mount points of every cgroup hierarchy (v1 and v2). */
export function mountedCgroups(): string[] {
  return [...new Set(readMountInfo().filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2').map((m) => m.mountPoint))];
}

function cgroupLeaks(project: string, cgroupMounts: string[]): string[] {
  return cgroupMounts.map((m) => path.join(m, 'hafen', project)).filter((d) => fs.existsSync(d)).map((d) => `cgroup ${d}`);
}

/** The shared `hafen` folders (one per hierarchy) that exist with no cgroup in them. */
function emptyParents(cgroupMounts: string[]): string[] {
  return cgroupMounts
    .map((m) => path.join(m, 'hafen'))
    .filter((d) => fs.existsSync(d) && !readDir(d).some((n) => fs.statSync(path.join(d, n), { throwIfNoEntry: false })?.isDirectory()));
}

/**
 * The shared `hafen` cgroup folder, left behind empty: the last project's removal should have taken
 * it. Another project may be between making `hafen` and its own folder in it (or between removing
 * both), so an empty one counts only when it is still empty a moment later.
 */
function parentCgroupLeaks(cgroupMounts: string[]): string[] {
  let empty = emptyParents(cgroupMounts);
  for (let i = 0; i < 3 && empty.length > 0; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    const again = new Set(emptyParents(cgroupMounts));
    empty = empty.filter((d) => again.has(d));
  }
  return empty.map((d) => `cgroup ${d} (empty shared parent)`);
}

/** The path of a /proc/PID/cgroup line (`hierarchy-id:controllers:path`). */
function cgroupPathOf(line: string): string {
  return line.split(':').slice(2).join(':');
}

/** Live processes (zombies are dead already) with a cgroup under `hafen/<project>` in any hierarchy. */
function processLeaks(project: string): string[] {
  const inProject = new RegExp(`/hafen/${escapeRegExp(project)}(/|$)`);
  const out: string[] = [];
  for (const entry of readDir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${entry}/cgroup`, 'utf8');
    } catch {
      continue;
    }
    const cgroup = text.split('\n').map(cgroupPathOf).find((p) => inProject.test(p));
    if (!cgroup) continue;
    const stat = readProcStat(Number(entry));
    if (!stat || stat.state === 'Z') continue;
    let comm = '?';
    try {
      comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      // Exited meanwhile.
    }
    out.push(`process ${entry} (${comm}) in cgroup ${cgroup}`);
  }
  return out;
}

/** Everything of `project` still on this machine, one readable line each; empty when nothing leaked. */
export function findLeaks(project: string, options: LeakOptions = {}): string[] {
  const stateDir = projectDir(options.root ?? defaultRoot(), project);
  const cgroupMounts = options.cgroupMounts ?? mountedCgroups();
  return [...processLeaks(project), ...mountLeaks(project, stateDir), ...netnsLeaks(project), ...linkLeaks(project), ...firewallLeaks(project), ...cgroupLeaks(project, cgroupMounts), ...parentCgroupLeaks(cgroupMounts)];
}
