/** How a supervisor process is started: the file Node runs and the flags it runs with. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from '../errors.js';
import { bundledFile } from '../package-files.js';
import { SUPERVISOR_NODE_FLAGS } from './spawn-flags.js';

/**
 * The compiled entry point: the bundle's dist/supervisor.js (what the package ships; also what runs
 * from sources, in tests), or beside this module in tsc's dist/src/supervisor/.
 */
export function entryPoint(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [...(path.basename(here) === 'supervisor' ? [path.join(here, 'main.js')] : []), ...bundledFile('supervisor.js')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (found) return found;
  throw new StackError('E_SUPERVISOR', `the supervisor is not built (none of ${candidates.join(', ')}); run \`npm run build\``, 1);
}

/** The Node flags a supervisor runs with: HAFEN_SUPERVISOR_NODE_FLAGS (space-separated) replaces the defaults (spawn-flags.ts). */
export function nodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env.HAFEN_SUPERVISOR_NODE_FLAGS;
  return given === undefined ? [...SUPERVISOR_NODE_FLAGS] : given.split(/\s+/).filter((f) => f !== '');
}
