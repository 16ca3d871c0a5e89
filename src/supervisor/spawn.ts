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
import { StackError } from '../errors.js';
import { projectDir } from '../runtime/embedded/state/project-paths.js';
import { SupervisorClient } from './client.js';
import type { SupervisorStatus } from './protocol.js';
import { version } from '../version.js';
import { ensureSupervisorSocketDir, supervisorSocketPath } from './socket-path.js';
import { READY_FD_ENV } from './spawn-flags.js';
import { entryPoint, nodeFlags } from './entry-point.js';
import type { LaunchedSupervisor, StandbySupervisor } from './standby-spawn.js';

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
  const socket = supervisorSocketPath(root, project);
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

/**
 * The running supervisor of `project`, started first when there is none (or when the one running is
 * of another hafen version): by ordering `standby` to serve it when one is given, else by spawning one.
 * A standby not needed is dismissed.
 */
export async function ensureSupervisor(root: string, project: string, standby?: StandbySupervisor): Promise<SupervisorClient> {
  const running = await reachSupervisor(root, project);
  if (running) {
    if (running.status.version === version) {
      standby?.dismiss();
      return running.client;
    }
    // Another hafen started it (an upgrade): it goes, and a new one takes its containers over. Its
    // process is waited for: an older one removes the socket path last thing, which would be the new one's.
    await running.client.shutdown();
    await processGone(running.status.pid, START_TIMEOUT_MS);
  }
  const socket = ensureSupervisorSocketDir(root, project); // as server.ts's supervisorSocket; makes the project folder
  const logFile = supervisorLog(root, project);
  // A standby that fails (it died waiting) leaves the usual start to do it.
  const ordered = standby?.order(root, project);
  const tried = (ordered && (await started(root, project, socket, ordered))) || (await started(root, project, socket, launch(root, project, logFile)));
  if (tried instanceof SupervisorClient) return tried;
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n') : '';
  throw new StackError('E_SUPERVISOR', `project ${project}: the supervisor did not start (${tried}); its log ${logFile} ends:\n${tail}`, 1);
}

/** Waits until the launched supervisor answers on `socket`: its client, or why it did not (it is killed then). */
async function started(root: string, project: string, socket: string, { child, ready, exited }: LaunchedSupervisor): Promise<SupervisorClient | string> {
  // Resolves when the supervisor says it listens, it exits, or the pipe closes.
  const told = new Promise<void>((resolve) => {
    ready.once('data', () => resolve());
    ready.once('close', () => resolve());
    ready.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([told, new Promise<void>((resolve) => (timer = setTimeout(resolve, START_TIMEOUT_MS)))]);
  clearTimeout(timer);
  ready.destroy();
  // Also for a supervisor that does not tell (one of a build without the pipe): look until the deadline.
  for (let wait = 2; Date.now() < deadline; wait = Math.min(wait * 2, 50)) {
    if (exited() !== undefined) break;
    if (fs.existsSync(socket)) {
      const client = await connectSupervisor(root, project);
      if (client) return client;
    }
    await sleep(wait);
  }
  const code = exited();
  if (code === undefined) child.kill('SIGKILL');
  return code === undefined ? 'no answer' : `exit ${code}`;
}

/** Spawns a supervisor for `project`, its output to `logFile`. */
function launch(root: string, project: string, logFile: string): LaunchedSupervisor {
  const out = fs.openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...nodeFlags(), entryPoint(), '--root', root, '--project', project], {
    detached: true,
    stdio: ['ignore', out, out, 'pipe'],
    env: { ...process.env, HAFEN_ROOT: root, [READY_FD_ENV]: '3' },
  });
  fs.closeSync(out);
  let code: number | null | undefined;
  child.once('exit', (c) => (code = c));
  child.unref();
  return { child, ready: child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }, exited: () => code };
}
