/**
 * Telling one process apart from a later one that got its pid, on any system the CLI runs on
 * (issue 19: a CLI on macOS or Windows drives a Linux host over ssh). A stamp is taken when a
 * background process (a port forwarder) is started and compared before it is stopped, so a reused
 * pid is never killed. Linux: the start time in /proc/PID/stat; without /proc (macOS, BSD): the
 * start time `ps -o lstart=` prints, read from the kernel there; with neither (Windows): only that
 * the pid is alive, said as such.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pidExists, readProcStat } from '../runtime/embedded/process-info.js';

/** Where the stamp is read from (injectable, so tests run the other ways on Linux). */
export interface StampSources {
  /** /proc, or a folder standing for it (none there: as on macOS). */
  procRoot?: string;
  /** The `ps` program; `null`: none (as on Windows). */
  ps?: string | null;
}

/** The stamp of a process only known to be alive (no way to read its start time here). */
export const ALIVE_ONLY = 'alive';

function fromProc(pid: number, procRoot: string): string | undefined {
  const started = readProcStat(pid, procRoot)?.startTime;
  return started ? `proc:${started}` : undefined;
}

function fromPs(pid: number, ps: string): string | undefined {
  // LC_ALL=C: the date's words must not change with the user's locale between two readings.
  const r = spawnSync(ps, ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, timeout: 5000 });
  const started = r.status === 0 ? r.stdout.trim() : '';
  return started ? `ps:${started}` : undefined;
}

/** The stamp of live process `pid`, or undefined when there is none. */
export function processStamp(pid: number, sources: StampSources = {}): string | undefined {
  const procRoot = sources.procRoot ?? '/proc';
  if (fs.existsSync(path.join(procRoot, 'self', 'stat'))) return fromProc(pid, procRoot);
  if (!pidExists(pid)) return undefined;
  const ps = sources.ps === undefined ? (process.platform === 'win32' ? null : 'ps') : sources.ps;
  return (ps !== null ? fromPs(pid, ps) : undefined) ?? ALIVE_ONLY;
}

/** Whether the process stamped `stamp` when started still runs under `pid`. */
export function sameProcess(pid: number, stamp: string, sources: StampSources = {}): boolean {
  const now = processStamp(pid, sources);
  if (now === undefined || stamp === '') return false;
  // A stamp taken one way is never compared with one taken another (a record written before /proc was hidden): alive is all that can be said.
  if (now === ALIVE_ONLY || stamp === ALIVE_ONLY || kindOf(now) !== kindOf(stamp)) return true;
  return now === stamp;
}

function kindOf(stamp: string): string {
  return stamp.slice(0, stamp.indexOf(':') + 1);
}
