/**
 * Signals to a running container. Its init (PID 1 inside) passes SIGTERM, SIGINT, SIGHUP, SIGQUIT,
 * SIGUSR1, SIGUSR2 and SIGWINCH on to the command; SIGKILL to init ends the whole container at once
 * (the kernel kills its pid namespace); any other signal goes to init's children directly. The pid
 * is only signalled while its start time still matches, so a reused pid is never hit.
 */
import fs from 'node:fs';
import { processRunning } from '../process-info.js';
import type { RecordRun } from './container-record.js';

const FORWARDED = new Set<NodeJS.Signals>(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']);

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** The direct children of `pid` (the command, for a container's init). */
function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Sends `signal` to the container; false when its init is gone already. */
export function signalContainer(run: RecordRun, signal: NodeJS.Signals): boolean {
  if (!processRunning(run.pid, run.startTime)) return false;
  if (signal === 'SIGKILL' || FORWARDED.has(signal)) send(run.pid, signal);
  else for (const child of childrenOf(run.pid)) send(child, signal);
  return true;
}
