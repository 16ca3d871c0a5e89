/**
 * Published ports of a remote project, reachable on this machine (issue 19): after `up -d`, one
 * background `ssh -N -L …` per project forwards a free local port on 127.0.0.1 to each published
 * port on the remote host. Its pid (with its stamp, so a reused pid is never killed: process-stamp.ts,
 * which needs no /proc, so this works from macOS too) and the forwards are recorded in this machine's state for the remote host; `port` and `ps` read them,
 * `down` (and the next `up -d`) stop it. The forwarder has its own connection (no ControlMaster
 * sharing), so killing it is all it takes to close the ports. A dependent on another ship reaches a
 * remote service through a forwarder of its own (`<project>.<service>.for-<container>`,
 * embedded-ships.ts), which listens where that container can connect.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '../errors.js';
import type { ContainerInfo } from '../runtime/runtime.js';
import type { Forward } from './remote-runtime.js';
import { sshArgv, type SshTarget } from './ssh-target.js';
import { freeLocalPort } from '../free-port.js';
import { processStamp, sameProcess } from './process-stamp.js';

/** What is recorded of a running forwarder. */
export interface ForwarderRecord {
  pid: number;
  /** processStamp() of the forwarder when it started. */
  stamp: string;
  /** What hafen before session 11 recorded instead of `stamp`: /proc's start time. */
  startTime?: string;
  target: string;
  forwards: Forward[];
}

/** How long the forwards may take to open. */
const OPEN_TIMEOUT_MS = 15_000;

/** The record of `project`'s forwarder under `root` (this machine's state for one remote host). */
export function forwarderFile(root: string, project: string): string {
  return path.join(root, 'forwarders', `${project}.json`);
}

/** The log of `project`'s forwarder (ssh's own messages). */
function forwarderLog(root: string, project: string): string {
  return path.join(root, 'forwarders', `${project}.log`);
}

function alive(record: ForwarderRecord): boolean {
  return sameProcess(record.pid, record.stamp ?? `proc:${record.startTime ?? ''}`);
}

/** The running forwarder of `project`, or undefined (a record whose process is gone is none). */
export function readForwarder(root: string, project: string): ForwarderRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(forwarderFile(root, project), 'utf8')) as ForwarderRecord;
    return alive(record) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Stops `project`'s forwarder, if one runs, and removes its record and log. */
export async function stopForwarder(root: string, project: string): Promise<void> {
  const record = readForwarder(root, project);
  if (record) {
    try {
      process.kill(record.pid, 'SIGTERM');
    } catch {
      // gone already
    }
    for (let i = 0; i < 100 && alive(record); i++) await sleep(20);
    if (alive(record)) process.kill(record.pid, 'SIGKILL');
  }
  fs.rmSync(forwarderFile(root, project), { force: true });
  fs.rmSync(forwarderLog(root, project), { force: true });
  const dir = path.dirname(forwarderFile(root, project));
  if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

function accepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** The address on the remote host a binding is reached at from there. */
function remoteAddress(hostIp: string): string {
  if (hostIp === '' || hostIp === '0.0.0.0') return '127.0.0.1';
  if (hostIp === '::') return '[::1]';
  return hostIp.includes(':') ? `[${hostIp}]` : hostIp;
}

/** Stops `project`'s forwarder and those of its cross-ship links (`<project>.<service>.for-<container>`). */
export async function stopProjectForwarders(root: string, project: string): Promise<void> {
  const dir = path.join(root, 'forwarders');
  const links = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${project}.`) && f.endsWith('.json') && f !== `${project}.json`) : [];
  for (const file of links) await stopForwarder(root, file.slice(0, -'.json'.length));
  await stopForwarder(root, project);
}

/**
 * (Re)starts `project`'s forwarder for the tcp ports the running `containers` publish on the remote
 * host, each on one free port here listening on every address of `bind` (a dependent's bridges, or
 * loopback); resolves with the forwards (one per port and address) once every local end accepts connections.
 */
export async function startForwarder(target: SshTarget, root: string, project: string, containers: readonly ContainerInfo[], bind: readonly string[] = ['127.0.0.1']): Promise<Forward[]> {
  await stopForwarder(root, project); // also when nothing is published any more
  const seen = new Set<string>();
  const forwards: Forward[] = [];
  for (const c of containers) {
    if (c.state !== 'running') continue;
    for (const p of c.ports) {
      const key = `${p.hostIp}:${p.hostPort}`;
      if (p.protocol !== 'tcp' || p.hostPort <= 0 || seen.has(key)) continue;
      seen.add(key);
      const port = await freeLocalPort();
      for (const hostIp of bind) forwards.push({ remote: { hostIp: p.hostIp, hostPort: p.hostPort }, local: { hostIp, hostPort: port } });
    }
  }
  if (forwards.length === 0) return [];
  const options = forwards.flatMap((f) => ['-L', `${f.local.hostIp}:${f.local.hostPort}:${remoteAddress(f.remote.hostIp)}:${f.remote.hostPort}`]);
  const opened = await launchForwarder(target, root, project, { options, forwards }, async () => (await Promise.all(forwards.map((f) => accepts(f.local.hostPort, f.local.hostIp)))).every(Boolean));
  if (opened.ok) return forwards;
  throw new StackError('E_REMOTE', `remote host ${target.url}: the published ports could not be forwarded here${opened.said ? ` (${opened.said})` : ''}`, 1);
}

/** What launchForwarder runs: ssh's forwarding options, a command there (none: `-N`), what is recorded. */
export interface ForwarderLaunch {
  options: string[];
  command?: string;
  forwards: Forward[];
}

/**
 * Starts a background ssh for `name` (its own connection, recorded under `root` so `down` stops it)
 * and waits until `ready` says so; on failure (ssh gone, or not ready in time) it is stopped and
 * `said` holds ssh's last words.
 */
export async function launchForwarder(target: SshTarget, root: string, name: string, launch: ForwarderLaunch, ready: () => Promise<boolean>): Promise<{ ok: true } | { ok: false; said: string }> {
  await stopForwarder(root, name);
  const options = [...(launch.command === undefined ? ['-N'] : []), '-T', '-o', 'ExitOnForwardFailure=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-o', 'ServerAliveInterval=15', ...launch.options];
  const argv = sshArgv(target, options, launch.command);
  fs.mkdirSync(path.dirname(forwarderFile(root, name)), { recursive: true, mode: 0o700 });
  const log = fs.openSync(forwarderLog(root, name), 'w', 0o600);
  // Standard output thrown away: a relay's heartbeat comes that way (ship-relay.ts); ssh's and its command's messages come on standard error.
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', log] });
  fs.closeSync(log);
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  if (child.pid === undefined) throw new StackError('E_REMOTE', `remote host ${target.url}: cannot start the port forwarder (${argv[0]})`, 1);
  const record: ForwarderRecord = { pid: child.pid, stamp: processStamp(child.pid) ?? '', target: target.url, forwards: launch.forwards };
  fs.writeFileSync(forwarderFile(root, name), JSON.stringify(record), { mode: 0o600 });
  for (const deadline = Date.now() + OPEN_TIMEOUT_MS; Date.now() < deadline && !exited; await sleep(50)) {
    if (await ready()) return { ok: true };
  }
  const said = readForwarderLog(root, name).trim().split('\n').slice(-2).join('; ');
  await stopForwarder(root, name);
  return { ok: false, said };
}

/** What `name`'s forwarder has said so far (ssh's messages and its remote command's output). */
export function readForwarderLog(root: string, name: string): string {
  try {
    return fs.readFileSync(forwarderLog(root, name), 'utf8');
  } catch {
    return '';
  }
}
