/**
 * A supervisor started while the CLI is still loading and checking the stack (issue 16): a command
 * that will start containers and names its project (-p, HAFEN_PROJECT, COMPOSE_PROJECT_NAME) on the
 * embedded runtime starts (or reaches) the project's supervisor first, so Node starting it runs
 * beside the loading and planning instead of after. Only for a project that has a state folder
 * already: a first `up` (or one refused by its checks) makes nothing before its checks passed.
 * When the stack turns out to be another project or runtime, the early client is closed and that
 * supervisor, with nothing to do, exits by itself.
 */
import fs from 'node:fs';
import type { RuntimeName } from '../config/model.js';
import { projectDir } from '../runtime/embedded/state/project-paths.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js';
import type { SupervisorClient } from '../supervisor/client.js';
import { ensureSupervisor } from '../supervisor/spawn.js';
import { chooseRuntime } from './project-runtime.js';

/** A supervisor start begun before the stack was loaded. */
export interface EarlySupervisor {
  project: string;
  root: string;
  /** Undefined when it could not be started (the normal path starts it again and says why). */
  client: Promise<SupervisorClient | undefined>;
}

/** Starts the supervisor of the named project when that can be known without the stack file; else undefined. */
export function startSupervisorEarly(project: string | undefined, runtime: RuntimeName | undefined, root = defaultRoot()): EarlySupervisor | undefined {
  if (!project || chooseRuntime(runtime).runtime !== 'embedded') return undefined;
  try {
    if (!fs.existsSync(projectDir(root, project))) return undefined;
  } catch {
    return undefined; // not a project name the runtime takes: the loader says so
  }
  return { project, root, client: ensureSupervisor(root, project).catch(() => undefined) };
}

/** Lets an early supervisor go unused (closes this process's connection; it exits when idle). */
export function dropEarlySupervisor(early: EarlySupervisor | undefined): void {
  void early?.client.then((c) => c?.close()).catch(() => undefined);
}
