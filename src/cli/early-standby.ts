/**
 * The earliest moment a supervisor can be started for `stack up` (issue 16): the CLI's first lines,
 * before the command's own modules load. Read from the bare arguments (the command name, -p,
 * --runtime), so it can be wrong: a standby supervisor (src/supervisor/standby-order.ts) costs a
 * little CPU when unused and is dismissed; it never makes anything until it is ordered to serve.
 * Only this module's few imports load before it.
 */
import { remoteAsked } from '../remote/ssh-target.js';
import fs from 'node:fs';
import path from 'node:path';
import { projectNameFromFolder } from '../config/project-name.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js';
import { entryPoint, nodeFlags } from '../supervisor/entry-point.js';
import { StandbySupervisor, dismissedStandbysGone } from '../supervisor/standby-spawn.js';
import { supervisorSocketPath } from '../supervisor/socket-path.js';
import { argvFacts } from './argv-facts.js';

export { argvFacts, type ArgvFacts } from './argv-facts.js';

let waiting: StandbySupervisor | undefined;

/**
 * Spawns a standby supervisor when the arguments ask for `up` on the embedded runtime (as far as
 * they tell: root on Linux, no `--runtime docker`), for the project they name or, with none, the
 * one the project folder's name makes; not when that project has a state folder and a name given
 * (its supervisor is reached or started the usual early way, early-supervisor.ts) or runs a supervisor.
 */
export function spawnStandbyFor(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): void {
  const facts = argvFacts(argv);
  if (facts.command !== 'up' || facts.help) return;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return;
  if (['docker', 'swarm'].includes(facts.runtime ?? env.HAFEN_RUNTIME ?? '')) return; // an engine's runtime: no supervisor
  if (remoteAsked(argv, env)) return; // issue 19: the runtime is on another host
  const named = facts.project ?? (env.HAFEN_PROJECT || env.COMPOSE_PROJECT_NAME || undefined);
  const folder = facts.projectDirectory ?? (facts.file && facts.file !== '-' ? path.dirname(path.resolve(cwd, facts.file)) : cwd);
  const project = named ?? projectNameFromFolder(path.basename(path.resolve(cwd, folder)));
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(project)) return;
  const root = defaultRoot(env);
  const dir = path.join(root, 'projects', project);
  try {
    if (fs.existsSync(named !== undefined ? dir : supervisorSocketPath(root, project))) return;
    waiting = StandbySupervisor.spawn(entryPoint(), nodeFlags(env), root, project);
  } catch {
    waiting = undefined; // the usual start says what is wrong
  }
}

/** The standby supervisor spawned for this command, handed over once (undefined when none). */
export function takeStandby(): StandbySupervisor | undefined {
  const taken = waiting;
  waiting = undefined;
  return taken;
}

/**
 * Dismisses a standby supervisor nobody took (the command ended before it needed one), and waits
 * until every dismissed one (here or where a command took and dropped it) is gone: a refused `up`
 * leaves no supervisor process still dying when it returns (a loaded machine takes a moment to end a SIGKILLed one).
 */
export async function dismissUntakenStandby(): Promise<void> {
  takeStandby()?.dismiss();
  await dismissedStandbysGone();
}
