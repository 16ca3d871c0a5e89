/**
 * The published ports of one project on a rootless holder: ports/proxy-set.ts's ProxySet for a
 * user without root, with the same methods, so the supervisor can use either. The ports are bound
 * and relayed by the holder's keeper (./network-keeper.ts); this client asks it over its unix socket
 * and keeps the answers, so `list` and `port` stay synchronous as ProxySet's are. The keeper keeps the
 * ports when a client goes (a supervisor restarted publishes the same ports again and gets the
 * same ones); `stop()` or the holder's end removes them.
 */
import net from 'node:net';
import { RuntimeError } from '../../../errors.js';
import type { PublishedPort } from '../ports/proxy-set.js';
import { PublishError, type ProxySpec } from '../ports/proxy-spec.js';
import type { KeeperPort, KeeperReply, KeeperRequest } from './network-protocol.js';

/** One connection to a keeper's control socket: requests answered in order. */
class KeeperConnection {
  private buffered = '';
  private readonly waiting: Array<{ resolve: (r: KeeperReply) => void; reject: (e: Error) => void }> = [];
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.resolve(JSON.parse(line) as KeeperReply);
      }
    });
    const fail = (err: Error): void => {
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => {
      this.closed = true;
      fail(new Error('the keeper closed the connection'));
    });
  }

  /** Set once the socket has closed (the keeper went): a new connection is needed. */
  closed = false;

  static open(path: string): Promise<KeeperConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new KeeperConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  ask(request: KeeperRequest): Promise<KeeperReply> {
    if (this.closed) return Promise.reject(new Error('the keeper closed the connection'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.socket.end();
  }
}

/** The rootless counterpart of ProxySet: a project's published ports, held by the holder's keeper. */
export class RootlessPortSet implements AsyncDisposable {
  private ports: PublishedPort[] = [];
  private connection: Promise<KeeperConnection> | undefined;

  /** `controlSocket`: the keeper record's controlSocket. */
  constructor(
    readonly project: string,
    private readonly controlSocket: string,
  ) {}

  private async ask(request: KeeperRequest): Promise<Extract<KeeperReply, { ok: true }>> {
    // A keeper started again (a new holder) is reached on a new connection.
    if (this.connection && (await this.connection.catch(() => undefined))?.closed) this.connection = undefined;
    const unreachable = (err: Error): RuntimeError => {
      this.connection = undefined;
      return new RuntimeError(`project ${this.project}`, `cannot reach the rootless network keeper at ${this.controlSocket}: ${err.message}`, { cause: err });
    };
    this.connection ??= KeeperConnection.open(this.controlSocket).catch((err: Error) => {
      throw unreachable(err);
    });
    // A keeper that went while the connection looked open fails the write (EPIPE) or the wait: the same error.
    const reply = await (await this.connection).ask(request).catch((err: Error) => {
      throw unreachable(err);
    });
    if (reply.ok) return reply;
    const { error } = reply;
    if (error.reason && error.port) throw new PublishError(error.port, Object.assign(new Error(error.message), { code: error.reason }));
    throw new RuntimeError(error.port ? `service ${error.port.service}` : `project ${this.project}`, error.message);
  }

  /** Publishes `specs` (typically one container's ports), all or none, as ProxySet.start does. */
  async start(specs: readonly ProxySpec[]): Promise<PublishedPort[]> {
    const reply = await this.ask({ op: 'add', ports: specs.map((s) => ({ ...s, project: this.project })) });
    const started = (reply.ports ?? []).map(published);
    for (const p of started) if (!this.ports.some((q) => same(p, q))) this.ports.push(p);
    return started;
  }

  /** Removes the ports of `container`, or every port of the project. */
  async stop(container?: string): Promise<void> {
    await this.ask({ op: 'remove', project: this.project, container });
    this.ports = this.ports.filter((p) => container !== undefined && p.container !== container);
  }

  /** Loads the project's ports from the keeper (those a previous client published too). */
  async refresh(): Promise<PublishedPort[]> {
    const reply = await this.ask({ op: 'list', project: this.project });
    this.ports = (reply.ports ?? []).map(published);
    return this.list();
  }

  /** The published ports, optionally of one service or container, in the order they were started. */
  list(filter: { service?: string; container?: string } = {}): PublishedPort[] {
    return this.ports.filter((p) => (filter.service === undefined || p.service === filter.service) && (filter.container === undefined || p.container === filter.container));
  }

  /** What `stack port SERVICE TARGET[/PROTOCOL]` prints, as ProxySet.port. */
  port(service: string, target: number, protocol: 'tcp' | 'udp' = 'tcp', index = 1): PublishedPort | undefined {
    return this.list({ service }).filter((p) => p.target === target && p.protocol === protocol)[index - 1];
  }

  /** Closes the connection to the keeper; the ports stay (stop() removes them). */
  async close(): Promise<void> {
    const c = this.connection;
    this.connection = undefined;
    if (c) (await c.catch(() => undefined))?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function published(k: KeeperPort): PublishedPort {
  const { project: _project, ...port } = k;
  return port;
}

function same(a: PublishedPort, b: PublishedPort): boolean {
  return a.protocol === b.protocol && a.hostIp === b.hostIp && a.hostPort === b.hostPort;
}
