/**
 * `stack -p NAME down` without a usable stack file, as `docker compose -p NAME down` works: the
 * project is taken down from what it left (the ledger, the engine's labels), by its name alone.
 * Also the way out for a project made before names were limited (config/project-name.ts), whose
 * name or file the loader now refuses: down must never fail forever.
 */
import path from 'node:path';
import type { Stack } from '../config/model.js';
import { ConfigError, ConfigNotFoundError, UsageError } from '../errors.js';

/** Names hafen could ever have used for a project's folder and `<name>.lock` file (255 bytes per file name). */
const OLD_PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,249}$/;

/** A stack with no services, networks or volumes: down then removes everything of the project. */
export function projectOnlyStack(name: string, dir: string): Stack {
  return {
    name,
    file: '-',
    files: [],
    dir,
    services: {},
    networks: {},
    volumes: {},
    ships: {},
    secrets: {},
    configs: {},
    extensions: {},
    source: { locate: (p) => ({ file: '-p', line: 0, col: 0, path: p }) },
  };
}

/**
 * The stack `down` works from when loading failed with `err`: the project named by -p (or
 * COMPOSE_PROJECT_NAME) alone, when one was named and the failure was the file's (missing or
 * refused) or the name's length; otherwise `err` again. `warn` says why the file was not used.
 */
export function stackForDown(err: unknown, named: string | undefined, cwd: string, warn: (line: string) => void): Stack {
  if (named === undefined || !OLD_PROJECT_NAME.test(named)) throw err;
  if (err instanceof ConfigNotFoundError) return projectOnlyStack(named, cwd);
  if (err instanceof ConfigError || err instanceof UsageError) {
    warn(`the stack file cannot be used (${err.message.split('\n')[0]}); taking project ${named} down by its name alone`);
    return projectOnlyStack(named, path.resolve(cwd));
  }
  throw err;
}
