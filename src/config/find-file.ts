/** Finds the stack file (and its override file) in a folder when no `-f` is given. */
import { stat } from 'node:fs/promises';
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
    const file = await firstFile(dir, STACK_FILE_NAMES);
    if (file) return file;
    if (path.dirname(dir) === dir) break;
  }
  throw new ConfigNotFoundError(`no stack file in ${path.resolve(cwd)} or a folder above it: looked for ${STACK_FILE_NAMES.join(', ')} (use -f FILE to name one)`);
}

/** The default stack file of `cwd` and, when there is one beside it, its override file (absolute paths). */
export async function findStackFiles(cwd: string): Promise<string[]> {
  const main = await findStackFile(cwd);
  const override = await firstFile(path.dirname(main), OVERRIDE_FILE_NAMES);
  return override ? [main, override] : [main];
}

async function firstFile(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    const file = path.resolve(dir, name);
    const found = await stat(file).then((s) => s.isFile(), () => false);
    if (found) return file;
  }
  return undefined;
}
