/**
 * What a stack brought up through the library leaves on the machine after `down()`: the leak check of
 * src/testing/leaks.ts, plus the project's supervisor process and files in its state folder. Empty when clean.
 * For a user without root (issue 17) also what is left in the user's namespace holder, and once the
 * user has no project left, the holder itself, its network keeper and runtime files (src/testing/rootless-leaks.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectDir } from '../src/runtime/embedded/state/project-paths.js';
import { findLeaks } from '../src/testing/leaks.js';
import { findRootlessLeaks, rootlessUserLeftovers, userHasProjects, type RootlessPlaces } from '../src/testing/rootless-leaks.js';

/** A supervisor's script: the bundle's dist/supervisor.js, or tsc's dist/src/supervisor/main.js. */
export const isSupervisorScript = (arg: string): boolean => arg.endsWith('/supervisor.js') || arg.endsWith('supervisor/main.js');

/** The pids of the supervisor processes of `project` under `root` (their command line names both). */
export function supervisorPids(project: string, root: string): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    if (args.some(isSupervisorScript) && at('--project') === project && at('--root') === root) {
      out.push(Number(pid));
    }
  }
  return out;
}

/** Supervisor processes of `project` under `root`, as leftovers. */
function supervisors(project: string, root: string): string[] {
  return supervisorPids(project, root).map((pid) => `supervisor process ${pid}`);
}

/**
 * Files in the project's state folder; and the folder itself when it keeps no named volume (a
 * `down` that keeps volumes keeps `volumes/NAME`, and nothing else).
 */
function stateFiles(project: string, root: string): string[] {
  const dir = projectDir(root, project);
  if (!fs.existsSync(dir)) return [];
  const files = fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => `state file ${path.join(e.parentPath, e.name)}`);
  const volumes = path.join(dir, 'volumes');
  const keepsVolumes = fs.existsSync(volumes) && fs.readdirSync(volumes).length > 0;
  return files.length > 0 || keepsVolumes ? files : [`state folder ${dir}`];
}

/** The project's `ready:` check records (src/orchestrator/ready-records.ts), which `down` removes. */
function readyRecords(project: string, root: string): string[] {
  const dir = path.join(root, 'ready', project);
  return fs.existsSync(dir) ? [`ready records ${dir}`] : [];
}

/** Everything of `project` still on this machine, one line each. */
export function stackLeftovers(project: string, root: string): string[] {
  return [...findLeaks(project, { root }), ...supervisors(project, root), ...stateFiles(project, root), ...readyRecords(project, root)];
}

/**
 * Everything of the rootless user's `project` still on this machine: as stackLeftovers (under the
 * user's state root), plus the project's mounts, links and processes inside the user's holder; and
 * when this was the user's last project, anything of the user's hafen at all (holder, keeper,
 * slirp4netns, runtime folder, state but the image store).
 */
export function rootlessStackLeftovers(project: string, places: RootlessPlaces): string[] {
  const root = places.dataRoot;
  const last = userHasProjects(root) ? [] : rootlessUserLeftovers(places);
  return [...findRootlessLeaks(project, places), ...supervisors(project, root), ...stateFiles(project, root), ...readyRecords(project, root), ...last];
}
