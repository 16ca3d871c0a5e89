/**
 * One lock per project, so two `stack up`s of the same project never race. The lock is a file
 * `<root>/projects/<project>.lock` made with O_EXCL, holding the holder's pid and start time; a
 * lock whose holder is gone (or whose pid now names another process) is stale and taken over.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError, StateFolderError } from '../../../errors.js';
import { ownStartTime, processRunning } from '../process-info.js';
import { projectDir } from './project-paths.js';

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  startTime: string;
}

/** A project another live process holds the lock of; names the project and the holder's pid. */
export class ProjectLockedError extends RuntimeError {
  readonly project: string;
  readonly holderPid: number;
  constructor(project: string, holderPid: number) {
    super(
      `project ${project}`,
      `another stack command (pid ${holderPid}) is working on this project; wait for it to finish, or stop it (kill ${holderPid})`,
    );
    this.project = project;
    this.holderPid = holderPid;
  }
}

/** A held project lock; `release()` (or `using`) gives it back. */
export interface ProjectLock extends Disposable {
  readonly project: string;
  readonly file: string;
  release(): void;
}

/** The lock file of `project`: beside its folder, since `.` never occurs in a project name. */
export function lockFile(root: string, project: string): string {
  return `${projectDir(root, project)}.lock`;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.startTime === 'string' ? { pid: h.pid, startTime: h.startTime } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the lock file with O_EXCL; undefined when it exists. The returned descriptor stays open
 * while the lock is held, so its inode cannot be reused and identifies the lock.
 */
function tryCreate(file: string, me: LockHolder): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx+', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(me));
    fs.fsyncSync(fd);
    return fd;
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw err;
  }
}

/** Opens the existing lock file to judge it; undefined when it vanished meanwhile. */
function openExisting(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Moves a stale lock file out of the way. Renaming is atomic, but two takers may race: the one that
 * finds it moved a different inode than the stale one it judged (kept open, so never reused) puts
 * that file back.
 */
function takeOver(file: string, stale: fs.Stats): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = fs.statSync(aside);
  if (moved.ino !== stale.ino || moved.dev !== stale.dev) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone made a new lock meanwhile; theirs stands.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** How long an unreadable lock file (made but not yet written) is given before it counts as stale. */
const UNWRITTEN_GRACE_MS = 1000;

/**
 * Takes the lock of `project` under `root`, or throws ProjectLockedError naming the live holder's pid.
 * A stale lock (its process gone, or its pid reused) is taken over.
 */
export async function lockProject(root: string, project: string): Promise<ProjectLock> {
  const file = lockFile(root, project);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new StateFolderError(path.dirname(file), err as NodeJS.ErrnoException);
    throw err;
  }
  const startTime = ownStartTime();
  if (startTime === undefined) throw new RuntimeError(`project ${project}`, 'cannot read /proc/self/stat');
  const me: LockHolder = { pid: process.pid, startTime };
  for (let attempt = 0; attempt < 50; attempt++) {
    const mine = tryCreate(file, me);
    if (mine !== undefined) return heldLock(project, file, mine, me);
    const fd = openExisting(file);
    if (fd === undefined) continue; // Released just now: try again.
    try {
      const st = fs.fstatSync(fd);
      const holder = parseHolder(fs.readFileSync(fd, 'utf8'));
      if (holder && processRunning(holder.pid, holder.startTime)) throw new ProjectLockedError(project, holder.pid);
      if (!holder && Date.now() - st.mtimeMs < UNWRITTEN_GRACE_MS) {
        await sleep(10);
        continue;
      }
      takeOver(file, st);
    } finally {
      fs.closeSync(fd);
    }
  }
  throw new RuntimeError(`project ${project}`, `could not take the lock ${file}: it keeps changing hands`);
}

function heldLock(project: string, file: string, fd: number, me: LockHolder): ProjectLock {
  const mine = fs.fstatSync(fd);
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    try {
      const st = fs.statSync(file);
      const holder = parseHolder(fs.readFileSync(file, 'utf8'));
      const ours = st.ino === mine.ino && st.dev === mine.dev && holder?.pid === me.pid && holder.startTime === me.startTime;
      if (ours) fs.unlinkSync(file);
    } catch {
      // Already gone.
    } finally {
      fs.closeSync(fd);
    }
  };
  return { project, file, release, [Symbol.dispose]: release };
}
