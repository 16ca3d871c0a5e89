/** What /proc says about a process: its state and start time, so a reused pid is told apart. */
import fs from 'node:fs';

/** Fields of /proc/PID/stat hafen needs. */
export interface ProcStat {
  /** R, S, D, Z (zombie: dead, not yet reaped), T, … */
  state: string;
  /** Field 22: clock ticks after boot; with the pid, names one process for the machine's uptime. */
  startTime: string;
}

/**
 * This process's start time as processRunning compares it: /proc's, or (not Linux, or a Linux
 * without /proc mounted: the CLI driving a remote host needs none, issue 19) the time Node started.
 */
export function ownStartTime(platform: string = process.platform): string | undefined {
  return (platform === 'linux' ? readProcStat(process.pid)?.startTime : undefined) ?? `t${Math.round(performance.timeOrigin)}`;
}

/** /proc/PID/stat's state and start time, or undefined when there is no such process (`procRoot`: a folder standing for /proc, in tests). */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parens: split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : undefined;
}

/**
 * Whether the process `pid` that started at `startTime` is still running (not gone, not a zombie,
 * pid not reused). Without /proc (macOS, where only the Docker runtime runs and the project lock is
 * all that needs this) a live pid is taken as the holder: a reused pid then keeps a stale lock until
 * that process ends, which errs on the safe side.
 */
export function processRunning(pid: number, startTime: string, platform: string = process.platform): boolean {
  // A holder that had no /proc to read recorded Node's start time (`t…`): only its pid can be checked.
  if (platform !== 'linux' || startTime.startsWith('t')) return pidExists(pid);
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** Whether a process `pid` exists, on any system (signal 0; one we may not signal exists too). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
