/**
 * The per-project supervisor (DESIGN.md, "Supervisor"): the one process that owns a project's
 * embedded containers while they run. It serves the runtime over a unix socket (0600, in the
 * project's state folder) so the CLI, the dashboard and the library all act through it; it keeps
 * the port proxies and healthchecks alive after `stack up -d` returns, settles containers the
 * moment they exit and applies their restart policies. It is in the project's ledger, so
 * `stack down` (or a cleanup) stops it even when it no longer answers.
 */
import fs from 'node:fs';
import net from 'node:net';
import { EmbeddedRuntime } from '../runtime/embedded/embedded-runtime.js';
import { processStartTime, type LedgerResource } from '../runtime/embedded/ledger/ledger.js';
import { openProjectLedger } from '../runtime/embedded/state/index.js';
import type { ContainerSpec, ExecOptions } from '../runtime/runtime.js';
import { specFromWire } from './wire-spec.js';
import { serveLineRequests } from './line-requests.js';
import { EVENTS_METHOD, RUNTIME_METHODS, type Request, type SupervisorStatus } from './protocol.js';
import { RestartKeeper } from './restart-keeper.js';
import { withSocketAddress } from './socket-address.js';
import { ensureSupervisorSocketDir } from './socket-path.js';
import { IdleExit, idleGraceMs } from './idle-exit.js';
import { version } from '../version.js';
import { traced } from '../trace.js';

/** The control socket of a project's supervisor. */
export function supervisorSocket(root: string, project: string): string {
  return ensureSupervisorSocketDir(root, project);
}

export interface SupervisorOptions {
  root: string;
  project: string;
  log?: (line: string) => void;
  /** How long it stays with nothing to do before it exits (undefined: never); default from HAFEN_SUPERVISOR_IDLE_MS (idle-exit.ts). */
  idleGraceMs?: number | undefined;
}

export interface SupervisorServer {
  readonly socket: string;
  /** Resolves when the supervisor was shut down (by `shutdown` or `close()`). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** Ends every connection once its written data went out; destroys what is still open after a second. */
async function endConnections(connections: Set<net.Socket>): Promise<void> {
  await Promise.all(
    [...connections].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.destroyed) return resolve();
          const timer = setTimeout(() => c.destroy(), 1000);
          c.once('close', () => (clearTimeout(timer), resolve()));
          c.end();
        }),
    ),
  );
}

/** Starts serving `project`; running containers of the project are watched again (adopted). */
export async function serveSupervisor(options: SupervisorOptions): Promise<SupervisorServer> {
  const { root, project } = options;
  const log = options.log ?? (() => {});
  // Starts prepared at create time (prepared-starts.ts): this process outlives the wait for
  // dependencies. HAFEN_PREPARE_STARTS=0 turns it off (to compare).
  const runtime = new EmbeddedRuntime({ root, log, prepareStarts: process.env.HAFEN_PREPARE_STARTS !== '0' });
  const keeper = new RestartKeeper(runtime, log, {
    countRestart: (name) => runtime.countRestart(name),
    released: () => idle.poke(),
  });
  const socket = supervisorSocket(root, project);
  const ledger = openProjectLedger(root, project);
  const self: LedgerResource = { kind: 'process', pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
  const status: SupervisorStatus = { pid: process.pid, project, startedAt: new Date().toISOString(), restarts: {}, version };
  const connections = new Set<net.Socket>();
  /** Per connection: requests in hand, and of those the event streams (a connection that only follows events is no work). */
  const load = new Map<net.Socket, { requests: number; streams: number }>();
  const idle = new IdleExit(
    {
      busy: () => keeper.size > 0 || [...connections].some((c) => !(load.get(c)!.streams > 0 && load.get(c)!.requests === load.get(c)!.streams)),
      anyRunning: async () => (await runtime.listContainers({ 'io.hafen.project': project })).some((c) => c.state === 'running' || c.state === 'paused'),
      exit: () => {
        log('nothing runs and nobody is connected: exiting');
        void close();
      },
    },
    'idleGraceMs' in options ? options.idleGraceMs : idleGraceMs(),
  );
  /** Aborted when the supervisor closes: what it waits for on its own stops waiting. */
  const lifetime = new AbortController();

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      idle.stop();
      // The socket goes first, in this tick (the server's close unlinks it too): a command that then
      // finds none starts a successor, whose socket no later step of this close may remove.
      fs.rmSync(socket, { force: true });
      server.close();
      lifetime.abort();
      // Ended, not destroyed: what was written (the last events of a `down`) reaches the clients first.
      await endConnections(connections);
      keeper.unwatchAll();
      await runtime.close();
      ledger.remove(self);
      log('supervisor stopped');
      resolveClosed();
    })());


  /** Runs one request; the signal is aborted when the caller cancels it or goes away. `push` sends one item of a stream. */
  const handle = async (method: string, args: unknown[], signal: AbortSignal, push: (item: unknown) => void): Promise<unknown> => {
    const name = args[0] as string;
    switch (method) {
      case EVENTS_METHOD:
        for await (const event of runtime.events(args[0] as Record<string, string>, { signal, ...(args[1] !== undefined && args[1] !== null ? { since: args[1] as string | number } : {}) })) push(event);
        return null;
      case 'ping':
        return { ...status, restarts: Object.fromEntries(keeper.restarts) };
      case 'shutdown':
        setImmediate(() => void close());
        return null;
      case 'startContainer': {
        const info = await runtime.startContainer(name);
        keeper.watch(name, info.labels, info.restartCount);
        return info;
      }
      // An attached `stack run`: the CLI's helper listens at args[1] with the CLI's stdio.
      case 'startWithAttach': {
        const info = await runtime.startWithAttach(name, args[1] as string);
        keeper.watch(name, info.labels, info.restartCount);
        return info;
      }
      case 'stopContainer':
      case 'killContainer':
      case 'removeContainer': {
        keeper.unwatch(name);
        const result = await (runtime[method] as (...a: unknown[]) => Promise<unknown>).apply(runtime, args);
        // A signal that ends the container ends it now, not at the next look (its `die` event with it).
        if (method === 'killContainer') void runtime.waitContainer(name, lifetime.signal).catch(() => undefined);
        return result;
      }
      case 'waitContainer':
        return runtime.waitContainer(name, signal);
      case 'exec':
        return runtime.exec(name, { ...(args[1] as ExecOptions), interactive: false });
      case 'createContainer':
        return runtime.createContainer(specFromWire(args[0] as ContainerSpec));
      default:
        if (!(RUNTIME_METHODS as readonly string[]).includes(method)) throw new Error(`unknown method ${method}`);
        return (runtime[method as keyof EmbeddedRuntime] as (...a: unknown[]) => Promise<unknown>).apply(runtime, args);
    }
  };

  const server = net.createServer((conn) => {
    connections.add(conn);
    const work = { requests: 0, streams: 0 };
    load.set(conn, work);
    const requests = serveLineRequests<Request>({
      send: (r) => {
        if (conn.writable) conn.write(`${JSON.stringify(r)}\n`);
      },
      itemKey: 'event',
      onBadLine: () => conn.destroy(),
      handle: async (req, signal, push) => {
        const stream = req.method === EVENTS_METHOD ? 1 : 0;
        work.requests++;
        work.streams += stream;
        try {
          return await traced(`supervisor ${req.method}`, typeof req.args?.[0] === 'string' ? req.args[0] : undefined, () => handle(req.method, req.args ?? [], signal, push));
        } finally {
          work.requests--;
          work.streams -= stream;
        }
      },
    });
    conn.on('data', requests.onData);
    conn.on('close', () => {
      connections.delete(conn);
      load.delete(conn);
      requests.abortAll();
      idle.poke();
    });
    conn.on('error', () => conn.destroy());
  });

  ledger.add(self, 'supervisor');
  fs.rmSync(socket, { force: true });
  // Names: a long HAFEN_ROOT or project name passes sun_path's 107 bytes; see socket-address.ts.
  await withSocketAddress(
    socket,
    (address) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address, () => resolve());
      }),
  );
  fs.chmodSync(socket, 0o600);

  // A supervisor started after another one died takes its running containers over: their
  // published ports, healthchecks and restart policies.
  for (const c of await runtime.listContainers({ 'io.hafen.project': project })) {
    if (c.state !== 'running' && c.state !== 'paused') continue;
    try {
      await runtime.adopt(c.name);
      keeper.watch(c.name, c.labels, c.restartCount);
    } catch (err) {
      log(`taking over container ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  runtime.rememberEvents(project); // the backlog of `events --since` as the last supervisor (or command) left it
  log(`supervisor ${version} of ${project} listening on ${socket} (pid ${process.pid})`);
  idle.poke(); // started for a command that is gone already, or with nothing to take over
  return { socket, closed, close };
}
