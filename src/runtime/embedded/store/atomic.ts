/** Writes that are all-or-nothing: a crash leaves the old content or the new, never half of either. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A unique temporary name beside `target`, on the same filesystem so rename is atomic. */
export function tempPath(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes `data` to `target` through a temporary file, fsynced (unless `fsync: false`: state that a
 * host crash makes moot anyway, written on every container start), then renamed over it.
 */
export function writeFileAtomic(target: string, data: string | Buffer, mode = 0o600, opts: { fsync?: boolean } = {}): void {
  const tmp = tempPath(target);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    if (opts.fsync !== false) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Reads and parses a JSON file, or returns undefined when it does not exist. */
export function readJsonFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
