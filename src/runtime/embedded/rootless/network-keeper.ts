/**
 * The rootless network keeper: one process per holder, in the host's network namespace, running as
 * the user. It starts slirp4netns or pasta for outbound traffic (./network-outbound.ts), and the relay
 * (./network-port-relay.ts) inside the holder's namespaces; it binds published ports on the host
 * (so an address in use or not of this host fails as it does for root, with the same PublishError)
 * and hands each bound socket to the relay. Clients ask for ports on its unix socket.
 *
 * It lives as long as the holder: it polls the holder's pid (with its start time) and exits when the
 * holder is gone, and its exit takes slirp4netns (exit fd) or pasta (parent-death signal), the relay (IPC channel closed, and
 * killed) and every published port (their sockets were only ever held by the keeper and the relay).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { formatEndpoint, listenAddress, PublishError } from '../ports/proxy-spec.js';
import { processRunning, readProcStat } from '../process-info.js';
import { holderNetArgv } from './network-holder-exec.js';
import { outboundUnavailable, startOutbound, type StartedOutbound } from './network-outbound.js';
import type { KeeperFailure, KeeperPort, KeeperReply, KeeperRequest, PortRequest, RelayReply, RelayRequest } from './network-protocol.js';
import { networkFiles, writeNetworkRecord, type RootlessNetworkRecord } from './network-record.js';

/** What the keeper is started with (one JSON argument). */
export interface KeeperConfig {
  holderPid: number;
  stateDir: string;
  /** false: no outbound driver (published ports only). */
  outbound: boolean;
  mtu?: number;
  udpIdleMs?: number;
  /** How often the holder's pid is looked at. */
  pollMs?: number;
}

interface Entry extends KeeperPort {
  id: number;
  /** The host port asked for; 0 for a random one. */
  asked: number;
}

/** Runs the keeper until the holder goes or SIGTERM; writes the record, then says `ready` on stdout. */
export async function runKeeper(config: KeeperConfig): Promise<void> {
  const files = networkFiles(config.stateDir);
  const holderStart = readProcStat(config.holderPid)?.startTime;
  if (!holderStart) throw new Error(`holder ${config.holderPid} is not running`);
  const logFd = fs.openSync(files.log, 'a');
  const log = (m: string): void => void fs.writeSync(logFd, `${new Date().toISOString()} ${m}\n`);

  let outbound: StartedOutbound | undefined;
  let outboundProblem = config.outbound ? outboundUnavailable() : 'not asked for';
  if (config.outbound && !outboundProblem) {
    try {
      outbound = await startOutbound({ holderPid: config.holderPid, stateDir: config.stateDir, logFd, mtu: config.mtu });
    } catch (err) {
      outboundProblem = (err as Error).message;
    }
  }
  if (outboundProblem) log(`no outbound network: ${outboundProblem}`);

  const relay = await startRelay(config.holderPid, process.argv[1]!, logFd);
  const entries: Entry[] = [];
  let nextId = 1;
  const pending = new Map<number, (reply: RelayReply) => void>();
  relay.on('message', (reply: RelayReply) => {
    if (reply.op === 'ready') return;
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const ask = (request: RelayRequest, handle?: net.Server | dgram.Socket): Promise<RelayReply> =>
    new Promise((resolve) => {
      pending.set(request.id, resolve);
      relay.send(request, handle as net.Server, (err) => err && (pending.delete(request.id), resolve({ op: 'failed', id: request.id, message: err.message })));
    });

  /** Binds one port on the host and hands it to the relay. */
  const open = async (request: PortRequest): Promise<Entry> => {
    const hostIp = listenAddress(request);
    const id = nextId++;
    const bound = request.protocol === 'tcp' ? await bindTcp(request, hostIp) : await bindUdp(request, hostIp);
    const hostPort = bound instanceof net.Server ? (bound.address() as net.AddressInfo).port : bound.address().port;
    const op = request.protocol === 'tcp' ? 'open-tcp' : 'open-udp';
    const reply = await ask({ op, id, targetIp: request.targetIp, targetPort: request.targetPort, udpIdleMs: config.udpIdleMs }, bound);
    // The relay holds its own copy now (or failed to take it): this one is closed either way.
    bound.close();
    if (reply.op === 'failed') throw new Error(`the relay could not take ${formatEndpoint(hostIp, hostPort, request.protocol)}: ${reply.message}`);
    const { project, service, container, protocol, targetIp, targetPort } = request;
    return { id, asked: request.hostPort ?? 0, project, service, container, protocol, hostIp, hostPort, target: targetPort, targetIp };
  };
  const close = async (gone: Entry[]): Promise<void> => {
    for (const e of gone) entries.splice(entries.indexOf(e), 1);
    await Promise.all(gone.map((e) => ask({ op: 'close', id: e.id })));
  };
  const same = (e: Entry, r: PortRequest): boolean =>
    e.project === r.project && e.container === r.container && e.protocol === r.protocol && e.target === r.targetPort && e.targetIp === r.targetIp && e.hostIp === listenAddress(r) && e.asked === (r.hostPort ?? 0);

  const handle = async (request: KeeperRequest): Promise<KeeperReply> => {
    switch (request.op) {
      case 'add': {
        const added: Entry[] = [];
        const answer: Entry[] = [];
        for (const r of request.ports) {
          // A supervisor started again publishes its containers' ports again: the same port is kept.
          const known = entries.find((e) => same(e, r) && !answer.includes(e));
          if (known) {
            answer.push(known);
            continue;
          }
          const clash = entries.find((e) => r.hostPort && e.hostPort === r.hostPort && e.protocol === r.protocol && e.hostIp === listenAddress(r));
          try {
            if (clash) throw new Error(`cannot publish ${formatEndpoint(clash.hostIp, clash.hostPort, clash.protocol)}: service ${clash.service} (${clash.container}) of project ${clash.project} publishes it already`);
            const e = await open(r);
            entries.push(e);
            added.push(e);
            answer.push(e);
          } catch (err) {
            await close(added);
            const failure: KeeperFailure = { message: (err as Error).message, port: r };
            if (err instanceof PublishError) failure.reason = err.reason;
            return { ok: false, error: failure };
          }
        }
        return { ok: true, ports: answer.map(strip) };
      }
      case 'remove': {
        const gone = entries.filter((e) => e.project === request.project && (request.container === undefined || e.container === request.container));
        await close(gone);
        return { ok: true, removed: gone.length };
      }
      case 'list':
        return { ok: true, ports: entries.filter((e) => request.project === undefined || e.project === request.project).map(strip) };
      case 'status':
        return { ok: true, status: { ports: entries.length, outbound: outbound ? outbound.driver : outboundProblem } };
      default: {
        const never: never = request;
        return { ok: false, error: { message: `unknown request ${JSON.stringify(never)}` } };
      }
    }
  };

  // One request at a time, whichever client sends it: the clash checks see every earlier change.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = (r: KeeperRequest): Promise<KeeperReply> => {
    const reply = queue.then(() => handle(r));
    queue = reply.catch(() => undefined);
    return reply;
  };
  fs.rmSync(files.controlSocket, { force: true });
  const server = net.createServer((conn) => serveClient(conn, serialized, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(files.controlSocket, () => resolve());
  });
  fs.chmodSync(files.controlSocket, 0o600);

  const record: RootlessNetworkRecord = {
    version: 1,
    holderPid: config.holderPid,
    holderStartTime: holderStart,
    keeperPid: process.pid,
    keeperStartTime: readProcStat(process.pid)!.startTime,
    relayPid: relay.pid!,
    stateDir: config.stateDir,
    controlSocket: files.controlSocket,
    outbound: outbound
      ? { driver: outbound.driver, pid: outbound.pid, ...(outbound.apiSocket ? { apiSocket: outbound.apiSocket } : {}), device: outbound.device, address: outbound.address, gateway: outbound.gateway, dns: outbound.dns, hostLoopback: outbound.hostLoopback, hostAddress: outbound.hostAddress, nat: outbound.nat }
      : { unavailable: outboundProblem ?? 'unknown' },
  };
  writeNetworkRecord(record);

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    server.close();
    relay.kill('SIGKILL');
    outbound?.child.kill('SIGTERM');
    // The record goes last, once the children are gone: until then it is what finds them.
    const children = [relay, ...(outbound ? [outbound.child] : [])];
    const done = (): never => {
      for (const f of [files.controlSocket, ...(outbound?.apiSocket ? [outbound.apiSocket] : []), files.record]) fs.rmSync(f, { force: true });
      process.exit(0);
    };
    void Promise.all(children.map(exited)).then(done);
    setTimeout(done, 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  relay.on('exit', (code, signal) => stop(`the relay exited (${signal ?? `code ${code}`})`));
  outbound?.child.on('exit', (code, signal) => stopping || log(`${outbound.driver} exited (${signal ?? `code ${code}`}); containers have no outbound network`));
  const poll = setInterval(() => processRunning(config.holderPid, holderStart) || stop(`holder ${config.holderPid} is gone`), config.pollMs ?? 500);
  poll.unref?.();
  // The interval keeps the process alive; unref'd above only so a stop() is never held up by it.
  setInterval(() => {}, 1 << 30);

  process.stdout.write(`${JSON.stringify({ ready: true, record })}\n`);
}

function strip(e: Entry): KeeperPort {
  const { id: _id, asked: _asked, ...port } = e;
  return port;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

function bindTcp(request: PortRequest, hostIp: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(new PublishError(request, err)));
    server.listen({ host: hostIp, port: request.hostPort ?? 0, exclusive: true }, () => resolve(server));
  });
}

function bindUdp(request: PortRequest, hostIp: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(hostIp) ? 'udp6' : 'udp4' });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(new PublishError(request, err));
    });
    socket.bind({ address: hostIp, port: request.hostPort ?? 0, exclusive: true }, () => resolve(socket));
  });
}

/** Starts the relay in the holder's user and network namespaces and waits for its `ready`. */
function startRelay(holderPid: number, entry: string, logFd: number): Promise<ChildProcess> {
  const [cmd, ...args] = holderNetArgv(holderPid, [process.execPath, entry, 'relay']) as [string, ...string[]];
  const child = spawn(cmd, args, { stdio: ['ignore', logFd, logFd, 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('the relay did not start within 10 s'))), 10_000);
    child.once('message', (m: RelayReply) => {
      clearTimeout(timer);
      if (m.op === 'ready') resolve(child);
      else reject(new Error(`the relay said ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with code ${code} before it was ready (see ${path.basename('keeper.log')})`));
    });
  });
}

/** Answers one client's JSON lines, one reply a line, in order. */
function serveClient(conn: net.Socket, handle: (r: KeeperRequest) => Promise<KeeperReply>, log: (m: string) => void): void {
  let buffered = '';
  let queue = Promise.resolve();
  conn.setEncoding('utf8');
  conn.on('error', (err) => log(`client: ${err.message}`));
  conn.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      queue = queue.then(async () => {
        let reply: KeeperReply;
        try {
          reply = await handle(JSON.parse(line) as KeeperRequest);
        } catch (err) {
          reply = { ok: false, error: { message: (err as Error).message } };
        }
        if (!conn.destroyed) conn.write(`${JSON.stringify(reply)}\n`);
      });
    }
  });
}
