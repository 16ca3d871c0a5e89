/**
 * A short-held lock between processes: a file made with O_EXCL that holds the holder's pid and start
 * time. Others wait for it (polling); a lock whose holder is gone, or whose pid names another process
 * now, is stale and taken over. For read-modify-write of small shared files (network allocations).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../../../errors.js';
import { processRunning, readProcStat } from '../process-info.js';

interface Holder {
  pid: number;
  startTime: string;
}

/** How long a lock file that is not written yet is given before it counts as stale. */
const UNWRITTEN_GRACE_MS = 1000;

function readHolder(file: string): { holder?: Holder; mtimeMs: number; ino: number } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    let holder: Holder | undefined;
    try {
      const h = JSON.parse(fs.readFileSync(fd, 'utf8')) as Partial<Holder>;
      if (typeof h.pid === 'number' && typeof h.startTime === 'string') holder = { pid: h.pid, startTime: h.startTime };
    } catch {
      // Made but not written yet, or torn: judged by its age.
    }
    return { holder, mtimeMs: st.mtimeMs, ino: st.ino };
  } finally {
    fs.closeSync(fd);
  }
}

/** Moves a stale lock aside; if another taker swapped in a fresh lock meanwhile, puts that one back. */
function takeOver(file: string, staleIno: number): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (fs.statSync(aside).ino !== staleIno) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // A new lock was made meanwhile; it stands.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Per lock file: the last of this process's calls, so the next one queues behind it. */
const queued = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding the lock `file` (created with its folder when missing), waiting up to
 * `timeoutMs` for another holder; always releases it afterwards. Callers in this process take
 * turns in order instead of polling the file against each other (a supervisor removing a hundred
 * containers at once released their addresses with sleeps of up to 50 ms between tries: issue 16).
 */
export function withFileLock<T>(file: string, fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const before = queued.get(file) ?? Promise.resolve();
  const run = (): Promise<T> => lockFile(file, fn, timeoutMs);
  const result = before.then(run, run);
  const tail = result.catch(() => undefined);
  queued.set(file, tail);
  void tail.then(() => {
    if (queued.get(file) === tail) queued.delete(file);
  });
  return result;
}

/** Takes the lock against other processes, runs `fn`, releases it. */
async function lockFile<T>(file: string, fn: () => T | Promise<T>, timeoutMs: number): Promise<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const self = readProcStat(process.pid);
  if (!self) throw new RuntimeError(`lock ${file}`, 'cannot read /proc/self/stat');
  const me = JSON.stringify({ pid: process.pid, startTime: self.startTime } satisfies Holder);
  const deadline = Date.now() + timeoutMs;
  let fd: number | undefined;
  for (let wait = 2; fd === undefined; wait = Math.min(wait * 2, 50)) {
    try {
      fd = fs.openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        fs.writeSync(fd, me);
      } catch (err) {
        fs.closeSync(fd);
        fs.rmSync(file, { force: true });
        throw err;
      }
      break;
    }
    const seen = readHolder(file);
    if (!seen) continue;
    const stale = seen.holder
      ? !processRunning(seen.holder.pid, seen.holder.startTime)
      : Date.now() - seen.mtimeMs > UNWRITTEN_GRACE_MS;
    if (stale) {
      takeOver(file, seen.ino);
      continue;
    }
    if (Date.now() > deadline) {
      const who = seen.holder ? `pid ${seen.holder.pid}` : 'another process';
      throw new RuntimeError(`lock ${file}`, `held by ${who} for more than ${timeoutMs} ms`);
    }
    await sleep(wait);
  }
  const mine = fs.fstatSync(fd).ino;
  try {
    return await fn();
  } finally {
    fs.closeSync(fd);
    try {
      if (fs.statSync(file).ino === mine) fs.unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
}
