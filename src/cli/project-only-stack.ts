/**
 * `stack -p NAME down` without a usable stack file, as `docker compose -p NAME down` works: the
 * project is taken down from what it left (the ledger, the engine's labels), by its name alone.
 * Also the way out for a project made before names were limited (config/project-name.ts), whose
 * name or file the loader now refuses: down must never fail forever.
 */
import path from 'node:path';
import type { RuntimeName, Stack } from '../config/model.js';
import { ConfigError, ConfigNotFoundError, UsageError } from '../errors.js';
import type { GlobalOptions } from './global-options.js';
import { projectOnlyRuntime } from '../orchestrator/project-only-runtime.js';

/** Names hafen could ever have used for a project's folder and `<name>.lock` file (255 bytes per file name). */
const OLD_PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,249}$/;

/** A stack with no services, networks or volumes: down then removes everything of the project. */
export function projectOnlyStack(name: string, dir: string, runtime?: RuntimeName): Stack {
  return {
    name,
    ...(runtime ? { runtime } : {}),
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

/** The project a command names without a file: -p (or HAFEN_PROJECT, see global-options.ts), else COMPOSE_PROJECT_NAME. */
export function namedProject(globals: Pick<GlobalOptions, 'projectName'>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return globals.projectName ?? (env.COMPOSE_PROJECT_NAME || undefined);
}

/**
 * The stack a project-only command (ps, logs, stop, …) works from when loading failed with `err`:
 * the named project alone when there is no stack file, on the runtime that holds it
 * (project-only-runtime.ts) unless --runtime says; otherwise `err` again (a broken file is
 * reported, not passed over).
 */
export async function stackForProject(err: unknown, globals: Pick<GlobalOptions, 'projectName' | 'runtime'>, cwd: string): Promise<Stack> {
  const named = namedProject(globals);
  if (!(err instanceof ConfigNotFoundError) || named === undefined || !OLD_PROJECT_NAME.test(named)) throw err;
  return projectOnlyStack(named, cwd, globals.runtime ?? (await projectOnlyRuntime(named)));
}

/** `stack` as down takes it: a project named alone is looked for on the runtime that holds it. */
export async function withProjectRuntime(stack: Stack, asked: RuntimeName | undefined): Promise<Stack> {
  if (stack.files.length > 0 || stack.runtime || asked) return stack;
  const runtime = await projectOnlyRuntime(stack.name);
  return runtime ? { ...stack, runtime } : stack;
}
