/**
 * Finding a project's supervisor, and starting one when a command needs it: a detached Node process
 * (its own session, so a Ctrl-C in the terminal does not reach it) whose output goes to the
 * project's `supervisor.log`. One `stack up` at a time holds the project lock, so two never race.
 * It tells it is ready on a pipe (fd 3), so the command goes on the moment it listens. A supervisor
 * exits by itself when it has nothing to do (idle-exit.ts); one of another hafen version is asked
 * to go, and the new one takes its running containers over.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { StackError } from '../errors.js';
import { bundledFile } from '../package-files.js';
import { ensureProjectDir, projectDir } from '../runtime/embedded/state/project-paths.js';
import { SupervisorClient } from './client.js';
import type { SupervisorStatus } from './protocol.js';
import { version } from '../version.js';
import { READY_FD_ENV, SUPERVISOR_NODE_FLAGS } from './spawn-flags.js';

/** How long a new supervisor may take to answer. */
const START_TIMEOUT_MS = 15_000;

/** The supervisor's log file. */
export function supervisorLog(root: string, project: string): string {
  return path.join(projectDir(root, project), 'supervisor.log');
}

/** A client of the project's running supervisor, or undefined when none answers. */
export async function connectSupervisor(root: string, project: string): Promise<SupervisorClient | undefined> {
  return (await reachSupervisor(root, project))?.client;
}

/** The running supervisor and what it answered to its first ping. */
async function reachSupervisor(root: string, project: string): Promise<{ client: SupervisorClient; status: SupervisorStatus } | undefined> {
  const socket = path.join(projectDir(root, project), 'supervisor.sock');
  if (!fs.existsSync(socket)) return undefined;
  let client: SupervisorClient | undefined;
  try {
    client = await SupervisorClient.connect(socket, root);
    return { client, status: await client.ping() };
  } catch {
    await client?.close().catch(() => undefined);
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

/** Resolves once process `pid` is gone, or after `ms`. */
async function processGone(pid: number, ms: number): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(20)) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
}

/** The Node flags a supervisor runs with: HAFEN_SUPERVISOR_NODE_FLAGS (space-separated) replaces the defaults (spawn-flags.ts). */
function nodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env.HAFEN_SUPERVISOR_NODE_FLAGS;
  return given === undefined ? [...SUPERVISOR_NODE_FLAGS] : given.split(/\s+/).filter((f) => f !== '');
}

/** The running supervisor of `project`, started first when there is none (or when the one running is of another hafen version). */
export async function ensureSupervisor(root: string, project: string): Promise<SupervisorClient> {
  const running = await reachSupervisor(root, project);
  if (running) {
    if (running.status.version === version) return running.client;
    // Another hafen started it (an upgrade): it goes, and a new one takes its containers over. Its
    // process is waited for: an older one removes the socket path last thing, which would be the new one's.
    await running.client.shutdown();
    await processGone(running.status.pid, START_TIMEOUT_MS);
  }
  const socket = path.join(ensureProjectDir(root, project), 'supervisor.sock'); // as server.ts's supervisorSocket; makes the project folder
  const logFile = supervisorLog(root, project);
  const out = fs.openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...nodeFlags(), entryPoint(), '--root', root, '--project', project], {
    detached: true,
    stdio: ['ignore', out, out, 'pipe'],
    env: { ...process.env, HAFEN_ROOT: root, [READY_FD_ENV]: '3' },
  });
  fs.closeSync(out);
  let exited: number | null | undefined;
  const ready = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void; unref?(): void };
  // Resolves when the supervisor says it listens, it exits, or the pipe closes.
  const told = new Promise<void>((resolve) => {
    ready.once('data', () => resolve());
    ready.once('close', () => resolve());
    ready.once('error', () => resolve());
    child.once('exit', (code) => ((exited = code), resolve()));
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([told, new Promise<void>((resolve) => (timer = setTimeout(resolve, START_TIMEOUT_MS)))]);
  clearTimeout(timer);
  ready.destroy();
  // Also for a supervisor that does not tell (one of a build without the pipe): look until the deadline.
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
