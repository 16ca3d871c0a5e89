/**
 * The leak check for a user without root (issue 17), made by root from outside the user's
 * namespaces: what the host shows (findLeaks: cgroups, host mounts and links), and what lives in
 * the user's namespace holder, seen through /proc/<holder> (its mount table, its /run/netns and the
 * links in its network namespace, the processes in its user namespace). Once the user has no
 * project left: no holder, no process in its namespace, no network keeper (slirp4netns, relay), no
 * runtime folder, and nothing in the state root but the image store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isProjectLink, netnsPrefix } from '../runtime/embedded/link-names.js';
import { readProcStat } from '../runtime/embedded/process-info.js';
import { runningHolder } from '../runtime/embedded/rootless/namespace-holder.js';
import { holderNetworkDir } from '../runtime/embedded/rootless/network-attach.js';
import { rootlessNetworkLeftovers } from '../runtime/embedded/rootless/network-lifecycle.js';
import { projectDir } from '../runtime/embedded/state/project-paths.js';
import { findLeaks, mountedCgroups, mountLeaks } from './leaks.js';

/** Where one user's hafen keeps things (a test gives each run its own). */
export interface RootlessPlaces {
  /** The state root: $XDG_DATA_HOME/hafen or HAFEN_ROOT. */
  dataRoot: string;
  /** The user's XDG_RUNTIME_DIR (the holder's record is in its `hafen` folder). */
  runtimeDir: string;
  /** Processes in the namespace that are not leftovers (a test's own driver), by their command line. */
  spare?: (argv: string[]) => boolean;
  /** HAFEN_CGROUP_PARENT of the user's runs, when one was delegated (its `hafen/<project>` is looked for too). */
  cgroupParent?: string;
}

function readDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The holder's folder in the runtime dir. */
function hafenRunDir(places: RootlessPlaces): string {
  return path.join(places.runtimeDir, 'hafen');
}

interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
}

/** The live processes (no zombies) in the user namespace of `holderPid`, the holder itself left out. */
function processesInNamespace(holderPid: number): Proc[] {
  let ns: string;
  try {
    ns = fs.readlinkSync(`/proc/${holderPid}/ns/user`);
  } catch {
    return [];
  }
  const out: Proc[] = [];
  for (const entry of readDir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === holderPid) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/user`) !== ns) continue;
      const stat = readProcStat(Number(entry));
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      out.push({ pid: Number(entry), ppid, argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const describe = (p: Proc): string => `process ${p.pid} (${p.argv.join(' ').slice(0, 120)})`;

/**
 * What of `project` is left: the host's leak check, and in the holder (when it runs) the project's
 * mounts, netns files and links, and its container processes (the launchers naming the project's
 * folder, and everything below them).
 */
export function findRootlessLeaks(project: string, places: RootlessPlaces): string[] {
  const left = findLeaks(project, { root: places.dataRoot, cgroupMounts: userCgroupRoots(places) });
  const holder = runningHolder(hafenRunDir(places));
  if (!holder) return left;
  const at = `/proc/${holder.pid}`;
  const stateDir = projectDir(places.dataRoot, project);
  left.push(...mountLeaks(project, stateDir, `${at}/mountinfo`).map((m) => `${m} in the holder`));
  left.push(...readDir(`${at}/root/run/netns`).filter((n) => n.startsWith(netnsPrefix(project))).map((n) => `netns /run/netns/${n} in the holder`));
  left.push(...readDir(`${at}/root/sys/class/net`).filter((n) => isProjectLink(project, n)).map((n) => `link ${n} in the holder`));
  const procs = processesInNamespace(holder.pid);
  const ofProject = new Set(procs.filter((p) => p.argv.some((a) => a.startsWith(`${stateDir}/`))).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (ofProject.has(p.pid) || !ofProject.has(p.ppid)) continue;
      ofProject.add(p.pid);
      grew = true;
    }
  }
  left.push(...procs.filter((p) => ofProject.has(p.pid)).map((p) => `${describe(p)} in the holder`));
  return left;
}

/**
 * Where the user's cgroups may be: under each hierarchy's root (a runtime that wrongly took root's
 * `hafen`), the user's default `<hierarchy>/hafen-<uid>` (uid: the owner of the state root), and
 * HAFEN_CGROUP_PARENT's folder.
 */
function userCgroupRoots(places: RootlessPlaces): string[] {
  const mounts = mountedCgroups();
  let uid: number | undefined;
  try {
    uid = fs.statSync(places.dataRoot).uid;
  } catch {
    // no state root yet: only a named parent is looked under
  }
  const names = [...(uid !== undefined ? [`hafen-${uid}`] : []), ...(places.cgroupParent ? [places.cgroupParent] : [])];
  return [...mounts, ...mounts.flatMap((m) => names.map((n) => path.join(m, n))).filter((d) => fs.existsSync(d))];
}

/** Whether the user has a project under `dataRoot` (its state folder). */
export function userHasProjects(dataRoot: string): boolean {
  return readDir(path.join(dataRoot, 'projects')).length > 0;
}

/**
 * What is left of the user's hafen once it has no project: the holder and every process in its
 * namespace (but `spare` ones), the network keeper and its children, the runtime folder's files, and
 * whatever the state root holds beside the image store.
 */
export function rootlessUserLeftovers(places: RootlessPlaces): string[] {
  const left: string[] = [];
  const run = hafenRunDir(places);
  const holder = runningHolder(run);
  if (holder) {
    const inside = processesInNamespace(holder.pid);
    const others = inside.filter((p) => !places.spare?.(p.argv));
    // A spare process (a test's driver) keeps the holder on purpose; with none, it should have stopped.
    if (inside.length === others.length) {
      const projects = readDir(path.join(places.dataRoot, 'projects'));
      left.push(`namespace holder ${holder.pid} still running${projects.length > 0 ? ` (project folders left: ${projects.join(', ')})` : ' with no project left'}`);
    }
    left.push(...others.map((p) => `${describe(p)} in the holder`));
  }
  left.push(...rootlessNetworkLeftovers(holderNetworkDir(run)).map((l) => `network keeper: ${l}`));
  if (!holder) {
    // A holder that runs keeps its record and lock there; with none, the folder should be gone.
    for (const f of readDir(run)) left.push(`runtime file ${path.join(run, f)}`);
    left.push(...readDir(places.dataRoot).filter((f) => f !== 'images').map((f) => `state ${path.join(places.dataRoot, f)}`));
  }
  return left;
}
