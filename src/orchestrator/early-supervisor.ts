/**
 * A supervisor started while the CLI is still loading and checking the stack (issue 16), so Node
 * starting it runs beside the loading and planning instead of after:
 *   - a command that will start containers and names a project (-p, HAFEN_PROJECT,
 *     COMPOSE_PROJECT_NAME) that has a state folder on the embedded runtime starts (or reaches)
 *     that project's supervisor at once;
 *   - otherwise `up` has one on standby (src/cli/early-standby.ts, src/supervisor/standby-order.ts):
 *     it loads, makes nothing, and is told to serve only once the checks passed and the project's
 *     folder is made; dismissed (killed) when not needed, so a refused file leaves no process and no folder.
 * When the stack turns out to be another project or runtime, the early client is closed and that
 * supervisor, with nothing to do, exits by itself.
 */
import fs from 'node:fs';
import type { RuntimeName } from '../config/model.js';
import { projectDir } from '../runtime/embedded/state/project-paths.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js';
import type { SupervisorClient } from '../supervisor/client.js';
import { ensureSupervisor } from '../supervisor/spawn.js';
import type { StandbySupervisor } from '../supervisor/standby-spawn.js';
import { chooseRuntime } from './project-runtime.js';
import { needsUserNamespace } from '../runtime/embedded/rootless/enter-namespace.js';

/** A supervisor start begun before the stack was loaded. */
export interface EarlySupervisor {
  /** The project it was started for; undefined for a standby one (any project). */
  project: string | undefined;
  root: string;
  /** Undefined when it could not be started (the normal path starts it again and says why), or for a standby one. */
  client?: Promise<SupervisorClient | undefined>;
  /** A supervisor process waiting to be told its project. */
  standby?: StandbySupervisor;
}

/**
 * Starts the supervisor of the named project when that can be known without the stack file and the
 * project has a state folder; else takes `standby`, a supervisor waiting to be told to serve
 * (src/cli/early-standby.ts spawns it); else undefined.
 */
export function startSupervisorEarly(
  project: string | undefined,
  runtime: RuntimeName | undefined,
  root = defaultRoot(),
  standby?: StandbySupervisor,
): EarlySupervisor | undefined {
  const unused = (): undefined => void standby?.dismiss();
  if (chooseRuntime(runtime).runtime !== 'embedded') return unused();
  if (process.env.HAFEN_HOST) return unused(); // issue 19: the supervisor is on the remote host
  if (needsUserNamespace()) return unused(); // a user without root: the supervisor starts inside its namespaces, after the re-run
  try {
    if (project && fs.existsSync(projectDir(root, project))) {
      unused();
      return { project, root, client: ensureSupervisor(root, project).catch(() => undefined) };
    }
  } catch {
    return unused(); // not a project name the runtime takes: the loader says so
  }
  return standby ? { project: undefined, root, standby } : undefined;
}

/** Lets an early supervisor go unused (closes this process's connection; it exits when idle; a standby one is killed). */
export function dropEarlySupervisor(early: EarlySupervisor | undefined): void {
  early?.standby?.dismiss();
  void early?.client?.then((c) => c?.close()).catch(() => undefined);
}
