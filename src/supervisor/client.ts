/**
 * The runtime as the CLI and the library see it when a supervisor owns the project: every call that
 * reads or changes containers, networks and volumes goes over the socket to the one process that
 * owns them; what only reads files (logs), what the image store serializes itself (builds, imports)
 * and an interactive exec (it needs this process's terminal) run here.
 */
import net from 'node:net';
import { StackError } from '../errors.js';
import type { EmbeddedRuntime } from '../runtime/embedded/embedded-runtime.js';
import type {
  BuildEvent,
  BuildSpec,
  ContainerInfo,
  ContainerEvent,
  ContainerSpec,
  ContainerStats,
  EventOptions,
  ExecOptions,
  ExecResult,
  ExitStatus,
  ImageInfo,
  LogLine,
  LogOptions,
  NetworkSpec,
  Runtime,
  VolumeSpec,
  CopyOptions,
  ProcessTable,
} from '../runtime/runtime.js';
import { absoluteHostPath } from './host-paths.js';
import { EVENTS_METHOD, fromWire, lineSplitter, type Method, type Response, type SupervisorStatus } from './protocol.js';
import { ForwardedRuntimeCalls } from './forwarded-calls.js';
import { withSocketAddress } from './socket-address.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class SupervisorClient extends ForwardedRuntimeCalls implements Runtime {
  readonly name = 'embedded' as const;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Streaming requests (events): each item goes to its request's receiver. */
  private readonly streams = new Map<number, (event: ContainerEvent) => void>();
  /**
   * Made on first use: most commands (and every ping) never need it, and its module (the whole
   * embedded runtime) is loaded only then, so `ps` and `port` start without it.
   */
  private localRuntime: Promise<EmbeddedRuntime> | undefined;

  private constructor(
    private readonly conn: net.Socket,
    private readonly root: string,
  ) {
    super();
    conn.on(
      'data',
      lineSplitter((line) => {
        const r = JSON.parse(line) as Response;
        if ('event' in r) return this.streams.get(r.id)?.(r.event);
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.result ?? undefined);
        else p.reject(fromWire(r.error));
      }),
    );
    conn.on('close', () => {
      for (const p of this.pending.values()) p.reject(new StackError('E_SUPERVISOR', 'the supervisor closed the connection', 1));
      this.pending.clear();
    });
    conn.on('error', () => {});
  }

  /** Connects to the socket; rejects when nothing listens there. */
  static connect(socket: string, root: string): Promise<SupervisorClient> {
    // Names: a long HAFEN_ROOT or project name passes sun_path's 107 bytes; see socket-address.ts.
    return withSocketAddress(
      socket,
      (address) =>
        new Promise((resolve, reject) => {
          const conn = net.connect(address);
          conn.once('connect', () => {
            conn.removeListener('error', reject);
            resolve(new SupervisorClient(conn, root));
          });
          conn.once('error', reject);
        }),
    );
  }

  protected call<T>(method: Method, args: unknown[], signal?: AbortSignal, onItem?: (event: ContainerEvent) => void): Promise<T> {
    if (this.conn.destroyed) return Promise.reject(new StackError('E_SUPERVISOR', 'the supervisor connection is closed', 1));
    const id = this.nextId++;
    if (onItem) this.streams.set(id, onItem);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.pending.delete(id);
        this.streams.delete(id);
        this.conn.write(`${JSON.stringify({ id, cancel: true })}\n`);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.streams.delete(id);
      };
      this.pending.set(id, {
        resolve: (v) => (done(), resolve(v as T)),
        reject: (e) => (done(), reject(e)),
      });
      this.conn.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  private local(): Promise<EmbeddedRuntime> {
    return (this.localRuntime ??= import('../runtime/embedded/embedded-runtime.js').then(({ EmbeddedRuntime }) => new EmbeddedRuntime({ root: this.root })));
  }

  ping(): Promise<SupervisorStatus> {
    return this.call('ping', []);
  }

  /** Asks the supervisor to stop (containers stay) and waits until it closed the connection. */
  async shutdown(): Promise<void> {
    const gone = new Promise<void>((r) => (this.conn.destroyed ? r() : this.conn.once('close', () => r())));
    await this.call('shutdown', []).catch(() => {});
    await gone;
  }

  // Images: the store is shared and serializes its own writes.
  async pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    return (await this.local()).pullImage(ref, onProgress, signal);
  }
  async buildImage(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo> {
    return (await this.local()).buildImage(spec, onEvent, signal);
  }
  async listImages(): Promise<ImageInfo[]> {
    return (await this.local()).listImages();
  }
  async removeImage(ref: string): Promise<void> {
    return (await this.local()).removeImage(ref);
  }

  async *logs(name: string, opts?: LogOptions): AsyncIterable<LogLine> {
    yield* (await this.local()).logs(name, opts);
  }
  async exec(name: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.interactive) return (await this.local()).exec(name, opts);
    return this.call('exec', [name, opts]);
  }

  // Container events (issue 14): the supervisor is where the project's events happen.
  /** Follows the supervisor's events; ends when the signal aborts or the supervisor goes away (it was shut down). */
  async *events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    const queue: ContainerEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: unknown;
    const call = this.call<null>(EVENTS_METHOD, [labels, opts.since ?? null], opts.signal, (event) => {
      queue.push(event);
      wake?.();
    });
    call
      .catch((err: unknown) => {
        // Gone (shut down) or cancelled ends the stream; a refusal (a supervisor of an older hafen) is an error.
        if (!this.conn.destroyed && !opts.signal.aborted) failure = err;
      })
      .finally(() => {
        ended = true;
        wake?.();
      });
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended || opts.signal.aborted) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }

  // Pause, processes and copies: the supervisor holds the container still while it copies.
  copyFromContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void> {
    return this.call('copyFromContainer', [name, src, absoluteHostPath(dest), opts ?? {}]);
  }
  copyToContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void> {
    return this.call('copyToContainer', [name, absoluteHostPath(src), dest, opts ?? {}]);
  }

  // Attached one-off runs (`stack run`): the supervisor starts the container, with this process's
  // stdio handed to its launcher by a helper of ours (attach-helper.ts).
  async startAttached(name: string): Promise<ExitStatus> {
    const { serveAttach } = await import('../runtime/embedded/launcher/attach-helper.js');
    const helper = await serveAttach();
    try {
      await this.call('startWithAttach', [name, helper.socket]);
      return await this.waitContainer(name);
    } finally {
      await helper.close();
    }
  }

  // Snapshots and resets (issue 20).

  async close(): Promise<void> {
    this.conn.end();
    await (await this.localRuntime)?.close();
  }
}
