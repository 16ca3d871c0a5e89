/**
 * Finding a project's supervisor, and starting one when a command needs it: a detached Node process
 * (its own session, so a Ctrl-C in the terminal does not reach it) whose output goes to the
 * project's `supervisor.log`. One `stack up` at a time holds the project lock, so two never race.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { StackError } from '../errors.js';
import { bundledFile } from '../package-files.js';
import { projectDir } from '../runtime/embedded/state/index.js';
import { SupervisorClient } from './client.js';
import { supervisorSocket } from './server.js';

/** How long a new supervisor may take to answer. */
const START_TIMEOUT_MS = 15_000;

/** The supervisor's log file. */
export function supervisorLog(root: string, project: string): string {
  return path.join(projectDir(root, project), 'supervisor.log');
}

/** A client of the project's running supervisor, or undefined when none answers. */
export async function connectSupervisor(root: string, project: string): Promise<SupervisorClient | undefined> {
  const socket = path.join(projectDir(root, project), 'supervisor.sock');
  if (!fs.existsSync(socket)) return undefined;
  try {
    const client = await SupervisorClient.connect(socket, root);
    await client.ping();
    return client;
  } catch {
    return undefined;
  }
}

/**
 * The compiled entry point: the bundle's dist/supervisor.js (what the package ships; also what runs
 * from sources, in tests), or beside this module in tsc's dist/src/supervisor/.
 */
function entryPoint(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [...(path.basename(here) === 'supervisor' ? [path.join(here, 'main.js')] : []), ...bundledFile('supervisor.js')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (found) return found;
  throw new StackError('E_SUPERVISOR', `the supervisor is not built (none of ${candidates.join(', ')}); run \`npm run build\``, 1);
}

/** The running supervisor of `project`, started first when there is none. */
export async function ensureSupervisor(root: string, project: string): Promise<SupervisorClient> {
  const running = await connectSupervisor(root, project);
  if (running) return running;
  const socket = supervisorSocket(root, project); // makes the project folder
  const logFile = supervisorLog(root, project);
  const out = fs.openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [entryPoint(), '--root', root, '--project', project], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, HAFEN_ROOT: root },
  });
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let wait = 2; Date.now() < deadline; wait = Math.min(wait * 2, 50)) {
    if (exited !== undefined) break;
    if (fs.existsSync(socket)) {
      const client = await connectSupervisor(root, project);
      if (client) return client;
    }
    await sleep(wait);
  }
  if (exited === undefined) child.kill('SIGKILL');
  const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  throw new StackError(
    'E_SUPERVISOR',
    `project ${project}: the supervisor did not start (${exited === undefined ? 'no answer' : `exit ${exited}`}); its log ${logFile} ends:\n${tail}`,
    1,
  );
}
