/**
 * Where a project's state lives: `<HAFEN_ROOT>/projects/<project>/` (mode 0700) with its ledger
 * (`ledger.jsonl`) and one folder per container (`containers/<name>/`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { readMountInfo } from '../mountinfo.js';

/** Project names as Compose has them; they become path segments, so nothing else is let through. */
const PROJECT = /^[a-z0-9][a-z0-9_-]*$/;
/** Container names: a path segment, never `.`/`..`. */
const CONTAINER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkProject(project: string): void {
  if (!PROJECT.test(project)) {
    throw new RuntimeError(`project ${JSON.stringify(project)}`, 'not a usable project name (lowercase letters, digits, "_" and "-")');
  }
}

/** The state folder of `project`: `<root>/projects/<project>`. */
export function projectDir(root: string, project: string): string {
  checkProject(project);
  return path.join(root, 'projects', project);
}

/** Creates `root`, `root/projects` and the project's folder, all mode 0700; returns the project's folder. */
export function ensureProjectDir(root: string, project: string): string {
  const dir = projectDir(root, project);
  for (const d of [root, path.join(root, 'projects'), dir]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    fs.chmodSync(d, 0o700);
  }
  return dir;
}

/** The ledger file of `project`. */
export function ledgerFile(root: string, project: string): string {
  return path.join(projectDir(root, project), 'ledger.jsonl');
}

/** The ledger of `project`, its folder created (0700) when missing. */
export function openProjectLedger(root: string, project: string): Ledger {
  ensureProjectDir(root, project);
  return new Ledger(ledgerFile(root, project));
}

/** The files and folders of one container's state. */
export interface ContainerPaths {
  dir: string;
  /** overlayfs upper and work dirs (same filesystem, as overlayfs requires). */
  upper: string;
  work: string;
  /** Where the container's root filesystem is mounted. */
  rootfs: string;
  /** Generated files bound over /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  hosts: string;
  hostname: string;
  resolvConf: string;
  /** Log files (stdout and stderr with timestamps, rotated). */
  logs: string;
  /** The container's exit status as its launcher writes it at the end (`exited 3`, `signaled 9 oom`), atomically. */
  status: string;
}

/** The state folder of container `name` of `project` (containerPaths' `dir`, without the other eight joins: records are looked up often). */
export function containerDir(root: string, project: string, name: string): string {
  if (!CONTAINER.test(name)) throw new RuntimeError(`container ${JSON.stringify(name)}`, 'not a usable container name');
  return path.join(projectDir(root, project), 'containers', name);
}

/** The state paths of container `name` of `project`. */
export function containerPaths(root: string, project: string, name: string): ContainerPaths {
  const dir = containerDir(root, project, name);
  return {
    dir,
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
    rootfs: path.join(dir, 'rootfs'),
    hosts: path.join(dir, 'hosts'),
    hostname: path.join(dir, 'hostname'),
    resolvConf: path.join(dir, 'resolv.conf'),
    logs: path.join(dir, 'logs'),
    status: path.join(dir, 'status'),
  };
}

/** Creates a container's folder and its subfolders, written to the ledger first (as a `dir`). */
export function createContainerDir(ledger: Ledger, paths: ContainerPaths, owner?: string): void {
  ledger.add({ kind: 'dir', path: paths.dir }, owner);
  // Idempotent: a stopped container started again keeps its folder and its upper layer.
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  // The upper dir's mode becomes the mode of the container's `/`.
  fs.mkdirSync(paths.upper, { recursive: true, mode: 0o755 });
  fs.mkdirSync(paths.work, { recursive: true, mode: 0o700 });
  fs.mkdirSync(paths.rootfs, { recursive: true, mode: 0o755 });
  fs.mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
}

/**
 * createContainerDir off the event loop (issue 16: a supervisor creating a hundred containers spent
 * a fifth of its time in mkdir when the disk was busy); the subfolders are made at once.
 */
export async function createContainerDirAsync(ledger: Ledger, paths: ContainerPaths, owner?: string): Promise<void> {
  ledger.add({ kind: 'dir', path: paths.dir }, owner);
  await fs.promises.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await Promise.all([
    fs.promises.mkdir(paths.upper, { recursive: true, mode: 0o755 }),
    fs.promises.mkdir(paths.work, { recursive: true, mode: 0o700 }),
    fs.promises.mkdir(paths.rootfs, { recursive: true, mode: 0o755 }),
    fs.promises.mkdir(paths.logs, { recursive: true, mode: 0o700 }),
  ]);
}

/**
 * Removes the project's state folder once nothing of it is left: refused while its ledger names a
 * live resource or anything is mounted below it (so a bound volume's files are never deleted).
 */
export function removeProjectDir(root: string, project: string): void {
  const dir = projectDir(root, project);
  const resource = `project ${project}`;
  const live = new Ledger(ledgerFile(root, project)).live();
  if (live.length > 0) throw new RuntimeError(resource, `its ledger still names ${live.length} resources; clean up first`);
  const mounted = readMountInfo().filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
  if (mounted.length > 0) throw new RuntimeError(resource, `still mounted below ${dir}: ${mounted.map((m) => m.mountPoint).join(', ')}`);
  fs.rmSync(dir, { recursive: true, force: true });
}
