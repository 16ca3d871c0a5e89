/**
 * Cleanup, first phase: SIGKILL the ledger's processes (only when /proc/PID/stat's start time still
 * matches, so a reused pid is never killed) and every process still in the ledger's cgroups, then
 * wait until they are dead.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerResource } from '../ledger/ledger.js';
import { cgroupPids } from '../cgroups/remove-cgroup.js';
import { thawDirs } from '../cgroups/freezer.js';
import { processRunning, readProcStat } from '../process-info.js';
import type { PhaseResult } from './phase.js';

type ProcessEntry = Extract<LedgerResource, { kind: 'process' }>;

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** Kills `processes` and everything in `cgroupDirs`; waits up to `timeoutMs` for all of them to die. */
export async function removeProcesses(processes: ProcessEntry[], cgroupDirs: string[], timeoutMs = 5000): Promise<PhaseResult> {
  const result: PhaseResult = { removed: [], failures: [] };
  // Never SIGKILL the process doing the cleanup, whatever the ledger or a cgroup says.
  const self = processes.filter((p) => p.pid === process.pid && processRunning(p.pid, p.startTime));
  for (const p of self) result.failures.push({ resource: `process ${p.pid}`, reason: 'is the process running this cleanup; not killed' });
  const targets = processes.filter((p) => !self.includes(p) && processRunning(p.pid, p.startTime));
  // Gone, a zombie, or a pid that now names another process: nothing to kill, only to forget.
  result.removed.push(...processes.filter((p) => !targets.includes(p) && !self.includes(p)));
  const dirs = cgroupDirs.filter((d) => fs.existsSync(d));
  const deadline = Date.now() + timeoutMs;
  let pause = 2;
  let alive = targets;
  const others = (): number[] => cgroupPids(dirs).filter((pid) => pid !== process.pid);
  let members = others();
  while (alive.length > 0 || members.length > 0) {
    if (Date.now() > deadline) break;
    for (const p of alive) if (processRunning(p.pid, p.startTime)) kill(p.pid);
    // cgroup.procs lists live members only, so these pids cannot have been reused.
    for (const pid of members) kill(pid);
    thawDirs(dirs); // a paused (frozen) process takes its SIGKILL only once thawed
    await sleep(pause);
    pause = Math.min(pause * 2, 50);
    alive = alive.filter((p) => processRunning(p.pid, p.startTime));
    members = others();
  }
  result.removed.push(...targets.filter((p) => !alive.includes(p)));
  for (const p of alive) {
    const state = readProcStat(p.pid)?.state;
    const hint = state === 'D' ? ' (in uninterruptible sleep, state D)' : '';
    result.failures.push({ resource: `process ${p.pid}`, reason: `still running ${timeoutMs} ms after SIGKILL${hint}` });
  }
  // Members left in a cgroup are reported by the cgroup phase, which tries once more.
  return result;
}
