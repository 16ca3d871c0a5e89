/**
 * Finds the stack file (and its override file) in a folder when no `-f` is given. Looked up with
 * synchronous stats: a dozen of them take microseconds, where the first asynchronous one would
 * load node:fs/promises and start libuv's thread pool (issue 16: `stack ps` in a project folder).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigNotFoundError } from '../errors.js';

/** The names tried, in order: hafen's own first, then Compose's. */
export const STACK_FILE_NAMES = ['stack.yaml', 'stack.yml', 'compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;

/**
 * Override files read after the main one when present, the first found of these (Compose v2 takes
 * any of its four names beside any main file name, in this order); hafen's own names first.
 */
export const OVERRIDE_FILE_NAMES = [
  'stack.override.yaml',
  'stack.override.yml',
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
] as const;

/**
 * Absolute path of the first default-named stack file in `cwd`, else in the nearest folder above it
 * that has one (as Compose v2 looks); ConfigNotFoundError naming what was looked for.
 */
export async function findStackFile(cwd: string): Promise<string> {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = firstFile(dir, STACK_FILE_NAMES);
    if (file) return file;
    if (path.dirname(dir) === dir) break;
  }
  throw new ConfigNotFoundError(`no stack file in ${path.resolve(cwd)} or a folder above it: looked for ${STACK_FILE_NAMES.join(', ')} (use -f FILE to name one)`);
}

/** The default stack file of `cwd` and, when there is one beside it, its override file (absolute paths). */
export async function findStackFiles(cwd: string): Promise<string[]> {
  const main = await findStackFile(cwd);
  const override = firstFile(path.dirname(main), OVERRIDE_FILE_NAMES);
  return override ? [main, override] : [main];
}

function firstFile(dir: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    const file = path.resolve(dir, name);
    if (isFile(file)) return file;
  }
  return undefined;
}

function isFile(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false; // unreadable (EACCES, ELOOP): not a stack file we can use, as before
  }
}
