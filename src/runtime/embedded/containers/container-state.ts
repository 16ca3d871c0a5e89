/**
 * What a container is doing now, told from its record, the status file its launcher writes at the
 * end (`exited 3`, `signaled 9 oom`) and whether its processes still live (pid and start time, so a
 * reused pid is never mistaken for it); and the ContainerInfo the runtime reports.
 */
import fs from 'node:fs';
import type { ContainerInfo, ContainerState } from '../../runtime.js';
import { exitCodeOf, parseExitStatus } from '../launcher/exit-status.js';
import { processRunning } from '../process-info.js';
import type { ContainerRecord } from './container-record.js';

/** The live view of a container. */
export interface Observed {
  state: ContainerState;
  exitCode?: number;
  oomKilled: boolean;
  finishedAt?: string;
}

/** The launcher's status file, read: its status and when it was written; undefined while there is none. */
export interface StatusFile {
  text: string;
  writtenAt: string;
}

/** Reads a status file, if written. */
export function readStatusFile(file: string): StatusFile | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return { text, writtenAt: fs.statSync(file).mtime.toISOString() };
  } catch {
    return undefined;
  }
}

/** How to look at the system; injected by tests. */
export interface Probe {
  status(): StatusFile | undefined;
  alive(pid: number, startTime: string): boolean;
}

/** The code a container gets when it vanished without a status (its launcher was killed): as SIGKILL. */
export const VANISHED_EXIT_CODE = 137;

/** Derives the state: settled records as written; a started one from its status file, else its processes. */
export function observe(record: ContainerRecord, probe: Probe): Observed {
  const { run } = record;
  if (record.state !== 'running' || !run) {
    const exit = record.state === 'exited' ? record.exit : undefined;
    return {
      state: record.state === 'running' ? 'created' : record.state,
      ...(exit ? { exitCode: exit.exitCode } : {}),
      oomKilled: exit?.oomKilled ?? false,
      ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    };
  }
  const file = probe.status();
  const status = file && parseExitStatus(file.text);
  if (file && status) return { state: 'exited', exitCode: exitCodeOf(status), oomKilled: status.oom, finishedAt: file.writtenAt };
  // The launcher writes the status after init is gone: while either lives, the container is running.
  if (probe.alive(run.pid, run.startTime) || probe.alive(run.launcherPid, run.launcherStartTime)) return { state: 'running', oomKilled: false };
  return { state: 'dead', exitCode: VANISHED_EXIT_CODE, oomKilled: false };
}

/** The system as it is. */
export function liveProbe(statusFile: string): Probe {
  return { status: () => readStatusFile(statusFile), alive: processRunning };
}

/** Whether an observed state means the container is over (and its resources may go). */
export function isOver(o: Observed): boolean {
  return o.state === 'exited' || o.state === 'dead';
}

/** The runtime's report of a container. */
export function containerInfo(record: ContainerRecord, o: Observed): ContainerInfo {
  const running = o.state === 'running';
  return {
    id: record.id,
    name: record.name,
    image: record.image.ref,
    ...(record.image.id ? { imageId: record.image.id } : {}),
    labels: { ...record.spec.labels },
    state: o.state,
    health: running ? record.health : 'none',
    ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
    oomKilled: o.oomKilled,
    createdAt: record.createdAt,
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    ...(o.finishedAt && !running ? { finishedAt: o.finishedAt } : {}),
    ports: running ? record.ports.map((p) => ({ ...p })) : [],
    // On the host's network the container's ports are the host's own.
    addresses: record.spec.networkMode?.kind === 'host' ? { host: '127.0.0.1' } : Object.fromEntries(record.networks.map((n) => [n.name, n.address])),
    host: 'embedded',
    ...(!running && record.stopRequested ? { stopRequested: true } : {}),
    ...(record.restarts ? { restartCount: record.restarts } : {}),
    ...(record.run ? { command: [...record.run.process.command] } : record.spec.command ? { command: [...(record.spec.entrypoint ?? []), ...record.spec.command] } : {}),
  };
}
