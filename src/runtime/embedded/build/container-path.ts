/** Paths inside the image being built: always `/`-separated and absolute, as BuildKit normalizes them. */
import { posix } from 'node:path';

/** WORKDIR: relative paths are taken from the current one; the result is clean and absolute. */
export function normalizeWorkdir(current: string, requested: string): string {
  if (requested === '') throw new Error('cannot normalize nothing');
  const joined = posix.isAbsolute(requested) ? requested : posix.join(current || '/', requested);
  return posix.normalize(`/${joined}`).replace(/(.)\/$/, '$1');
}

/**
 * A COPY/ADD destination: relative to WORKDIR, clean, absolute. A trailing `/` (or `/.`, or `.` alone)
 * marks a directory and is kept as a trailing `/`.
 */
export function normalizeDest(workdir: string, dest: string): string {
  const p = dest === '' || dest === '.' ? './' : dest;
  const isDir = p.endsWith('/') || p.endsWith('/.');
  const joined = posix.isAbsolute(p) ? p : posix.join(workdir || '/', p);
  const clean = posix.normalize(`/${joined}`).replace(/(.)\/$/, '$1');
  return isDir && clean !== '/' ? `${clean}/` : clean;
}
