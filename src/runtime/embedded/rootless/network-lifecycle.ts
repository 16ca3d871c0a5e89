/**
 * Starting and stopping a holder's network keeper (./network-keeper.ts), and finding what is left
 * of one. Started once per holder, detached (it outlives the command that started it and goes when
 * the holder goes); a second start for the same holder finds the running keeper by its record.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../../../errors.js';
import { bundledFile } from '../../../package-files.js';
import { processRunning, readProcStat } from '../process-info.js';
import type { KeeperConfig } from './network-keeper.js';
import { networkFiles, readNetworkRecord, type RootlessNetworkRecord } from './network-record.js';
import { driverMarks } from './outbound-drivers.js';

/** What the relay's argv ends with, whichever build runs it (tsc's dist/ or the bundle). */
const RELAY_MARK = '\0relay\0';

/** How to start a holder's network. */
export interface StartNetworkOptions {
  /** A process in the holder's user and network namespaces (the holder itself). */
  holderPid: number;
  /** The keeper's folder (made 0700 when missing): its record, sockets and log. */
  stateDir: string;
  /** Start slirp4netns or pasta for outbound traffic (default true); without, published ports only. */
  outbound?: boolean;
  mtu?: number;
  udpIdleMs?: number;
  /** How the keeper's argv is run (tests: as the rootless user); default as it is. */
  wrap?: (argv: string[]) => string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** The keeper's script; default keeperEntry(). */
  entry?: string;
}

/** The keeper's compiled entry: beside this module in tsc's dist/, or the bundle's. */
export function keeperEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'network-keeper-main.js'), ...bundledFile('rootless-net.js')];
  // From sources (tests), the module is a .ts file: the compiled one is in dist/ at the same place.
  const root = here.split(`${path.sep}src${path.sep}`)[0]!;
  if (here.includes(`${path.sep}src${path.sep}`) && !here.includes(`${path.sep}dist${path.sep}`)) {
    candidates.push(path.join(root, 'dist', path.relative(root, here), 'network-keeper-main.js'));
  }
  const found = candidates.find((f) => fs.existsSync(f));
  if (found) return found;
  throw new RuntimeError('rootless network', `the network keeper is not built (none of ${candidates.join(', ')}); run \`npm run build\``);
}

/** Whether the keeper of `record` runs, for the holder it was started for. */
export function keeperRunning(record: RootlessNetworkRecord): boolean {
  return processRunning(record.keeperPid, record.keeperStartTime) && processRunning(record.holderPid, record.holderStartTime);
}

/** Starts the holder's network keeper, or finds the one running; resolves with its record once it is ready. */
export async function startRootlessNetwork(options: StartNetworkOptions): Promise<RootlessNetworkRecord> {
  const known = readNetworkRecord(options.stateDir);
  if (known && known.holderPid === options.holderPid && keeperRunning(known)) return known;
  if (known) await stopRootlessNetwork(options.stateDir);
  fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const files = networkFiles(options.stateDir);
  const config: KeeperConfig = { holderPid: options.holderPid, stateDir: options.stateDir, outbound: options.outbound ?? true, mtu: options.mtu, udpIdleMs: options.udpIdleMs };
  const argv = (options.wrap ?? ((a) => a))([process.execPath, options.entry ?? keeperEntry(), JSON.stringify(config)]);
  const logStart = sizeOf(files.log);
  // stdout: one `ready` line, and nothing after; the keeper writes everything else to its log.
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: options.env ?? process.env });
  const timeoutMs = options.timeoutMs ?? 20_000;
  try {
    return await new Promise<RootlessNetworkRecord>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (!out.includes('\n')) return;
        clearTimeout(timer);
        try {
          resolve((JSON.parse(out.slice(0, out.indexOf('\n'))) as { record: RootlessNetworkRecord }).record);
        } catch (err) {
          reject(err as Error);
        }
      });
      child.once('error', (err) => (clearTimeout(timer), reject(err)));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const said = readFrom(files.log, logStart).trim().split('\n').slice(-3).join('; ');
        reject(new Error(`exited (${signal ?? `code ${code}`}) before it was ready${said ? `: ${said}` : ''}`));
      });
    });
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw new RuntimeError(`holder ${options.holderPid}`, `the rootless network keeper: ${(err as Error).message}`, { cause: err });
  } finally {
    child.stdout!.destroy();
    child.removeAllListeners('exit');
    child.unref();
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(offset);
  } catch {
    return '';
  }
}

async function gone(pid: number, startTime: string, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(20)) if (!processRunning(pid, startTime)) return true;
  return !processRunning(pid, startTime);
}

/** The child process `pid` when it still runs `what` (its argv names it): checked before it is signalled. */
function childStill(pid: number | undefined, what: string): { pid: number; startTime: string } | undefined {
  if (!pid) return undefined;
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z') return undefined;
  try {
    if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(what)) return undefined;
  } catch {
    return undefined;
  }
  return { pid, startTime: stat.startTime };
}

/**
 * Live processes whose argv names `stateDir` as a keeper's config or an outbound driver's file,
 * and their children (the relay): found without the record, which a keeper that died while starting
 * never wrote.
 */
export function processesOf(stateDir: string): number[] {
  // The keeper's config argument and the drivers' own files; not any process naming the folder.
  const marks = [`"stateDir":${JSON.stringify(stateDir)}`, ...driverMarks(stateDir)];
  const found = new Set<number>();
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      parents.set(pid, Number(fields[1]));
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (marks.some((m) => argv.includes(m))) found.add(pid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  for (const [pid, parent] of parents) if (found.has(parent)) found.add(pid);
  return [...found].sort((a, b) => a - b);
}

/** The processes and files of the keeper of `stateDir` that are still there (for leak checks and `down`). */
export function rootlessNetworkLeftovers(stateDir: string): string[] {
  const files = networkFiles(stateDir);
  const record = readNetworkRecord(stateDir);
  const left: string[] = [];
  const pids = new Set(processesOf(stateDir));
  if (record) {
    if (processRunning(record.keeperPid, record.keeperStartTime)) pids.add(record.keeperPid);
    if (childStill(record.relayPid, RELAY_MARK)) pids.add(record.relayPid);
    if ('pid' in record.outbound && childStill(record.outbound.pid, record.outbound.driver)) pids.add(record.outbound.pid);
    if ('pid' in record.outbound && record.outbound.apiSocket && fs.existsSync(record.outbound.apiSocket)) left.push(`socket ${record.outbound.apiSocket}`);
  }
  for (const pid of pids) left.push(`process ${pid} (${commandOf(pid)})`);
  for (const f of [files.record, files.controlSocket]) if (fs.existsSync(f)) left.push(`file ${f}`);
  return left;
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(0, 2).join(' ');
  } catch {
    return 'gone';
  }
}

/**
 * Stops the keeper of `stateDir` (SIGTERM, then SIGKILL after `graceMs`), then anything it started
 * that outlived it, and removes its files (the log is kept). Nothing there: nothing done.
 */
export async function stopRootlessNetwork(stateDir: string, graceMs = 3000): Promise<void> {
  const files = networkFiles(stateDir);
  const record = readNetworkRecord(stateDir);
  if (record) {
    const children = [childStill(record.relayPid, RELAY_MARK), 'pid' in record.outbound ? childStill(record.outbound.pid, record.outbound.driver) : undefined];
    if (processRunning(record.keeperPid, record.keeperStartTime)) {
      process.kill(record.keeperPid, 'SIGTERM');
      if (!(await gone(record.keeperPid, record.keeperStartTime, graceMs))) {
        process.kill(record.keeperPid, 'SIGKILL');
        await gone(record.keeperPid, record.keeperStartTime, graceMs);
      }
    }
    for (const c of children) {
      if (!c || !processRunning(c.pid, c.startTime)) continue;
      // slirp4netns leaves once its exit fd closes, pasta on its parent-death signal, the relay once its channel does; a second late means stuck.
      if (await gone(c.pid, c.startTime, 1000)) continue;
      process.kill(c.pid, 'SIGKILL');
      await gone(c.pid, c.startTime, graceMs);
    }
    if ('pid' in record.outbound && record.outbound.apiSocket) fs.rmSync(record.outbound.apiSocket, { force: true });
  }
  // A keeper that died before writing its record, or whatever outlived the steps above.
  for (const pid of processesOf(stateDir)) {
    const stat = readProcStat(pid);
    if (!stat) continue;
    process.kill(pid, 'SIGKILL');
    await gone(pid, stat.startTime, graceMs);
  }
  for (const f of [files.record, `${files.record}.tmp`, files.controlSocket]) fs.rmSync(f, { force: true });
}
