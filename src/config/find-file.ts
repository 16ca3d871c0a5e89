/** Finds the stack file in a folder when no `-f` is given. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigNotFoundError } from '../errors.js';

/** The names tried, in order: hafen's own first, then Compose's. */
export const STACK_FILE_NAMES = ['stack.yaml', 'stack.yml', 'compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;

/** Absolute path of the first default-named stack file in `cwd`; ConfigNotFoundError naming what was looked for. */
export async function findStackFile(cwd: string): Promise<string> {
  for (const name of STACK_FILE_NAMES) {
    const file = path.resolve(cwd, name);
    const found = await stat(file).then((s) => s.isFile(), () => false);
    if (found) return file;
  }
  throw new ConfigNotFoundError(`no stack file in ${path.resolve(cwd)}: looked for ${STACK_FILE_NAMES.join(', ')} (use -f FILE to name one)`);
}
