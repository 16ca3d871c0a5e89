/**
 * The embedded runtime of another Linux host as the CLI sees it (issue 19): every Runtime call goes
 * over the ssh channel to the agent there (agent.ts), which serves it through the project's
 * supervisor. Builds send their contexts, secrets and agents (remote-build.ts); `cp` streams its
 * archive over an ssh session of its own (remote-copy.ts); readiness probes run
 * from the remote host, where container addresses route; published ports read as the local
 * addresses they are forwarded to, once a forwarder runs (port-forwarder.ts).
 */
import fs from 'node:fs';
import { StackError } from '../errors.js';
import type {
  BuildEvent,
  BuildSpec,
  ContainerEvent,
  ContainerInfo,
  ContainerSpec,
  ContainerStats,
  CopyOptions,
  EventOptions,
  ExecOptions,
  ExecResult,
  ExitStatus,
  ImageInfo,
  LogLine,
  LogOptions,
  NetworkSpec,
  ProcessTable,
  RemoteBinds,
  Runtime,
  VolumeSpec,
} from '../runtime/runtime.js';
import { ForwardedRuntimeCalls } from '../supervisor/forwarded-calls.js';
import type { AgentConnection } from './agent-connection.js';
import { localStateRoot } from './local-state.js';
import type { RemoteProbe } from './agent-protocol.js';
import type { ForwardedAgent } from './agent-forward.js';
import type { ProbeOutcome } from '../executor/readiness/probes.js';
import { attachedRun, interactiveExec } from './remote-exec.js';

/** A remote published port and the local address it is forwarded to. */
export interface Forward {
  remote: { hostIp: string; hostPort: number };
  local: { hostIp: string; hostPort: number };
}

export class RemoteRuntime extends ForwardedRuntimeCalls implements Runtime {
  readonly name = 'embedded' as const;
  private forwards: Forward[] = [];
  /** Containers created here with a terminal (an attached run then asks ssh for one). */
  private readonly ttys = new Set<string>();
  /** Bind sources already looked up on the remote host (each is said at most once). */
  private readonly checkedBinds = new Set<string>();

  constructor(
    readonly connection: AgentConnection,
    private readonly project: string,
    private readonly say: (line: string) => void = () => {},
    /** This machine's state root, where a build context's file digests are remembered (context-digests.ts). */
    private readonly digestsRoot: string = localStateRoot(),
  ) {
    super();
  }

  /** Says once, for the bind sources of `spec` that exist here but not on the remote host, that binds are the remote host's paths. */
  private async noteLocalOnlyBinds(spec: ContainerSpec): Promise<void> {
    const sources = [...new Set(spec.mounts.flatMap((m) => (m.type === 'bind' && !this.checkedBinds.has(m.source) ? [m.source] : [])))];
    if (sources.length === 0) return;
    for (const s of sources) this.checkedBinds.add(s);
    const missing = await this.call<string[]>('missingPaths', [sources]);
    const localOnly = missing.filter((p) => fs.existsSync(p));
    if (localOnly.length > 0) {
      this.say(`${this.connection.target.url}: ${localOnly.join(', ')} ${localOnly.length === 1 ? 'exists' : 'exist'} only on this machine; bind mounts are paths on the remote host (copy ${localOnly.length === 1 ? 'it' : 'them'} there, or use a volume)`);
    }
  }

  /** Published ports are reported at these local addresses from now on. */
  setForwards(forwards: Forward[]): void {
    this.forwards = forwards;
  }

  private local(info: ContainerInfo): ContainerInfo {
    if (this.forwards.length === 0) return info;
    const ports = info.ports.map((p) => {
      const f = this.forwards.find((f) => f.remote.hostPort === p.hostPort && f.remote.hostIp === p.hostIp);
      return f && p.protocol === 'tcp' ? { ...p, ...f.local } : p;
    });
    return { ...info, ports };
  }

  /** The containers' ports as published on the remote host (what a forwarder forwards). */
  remoteContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return super.listContainers(labels);
  }

  protected call<T>(method: string, args: unknown[], signal?: AbortSignal, onItem?: (item: unknown) => void): Promise<T> {
    return this.connection.call(method, args, signal, onItem);
  }

  async pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    await this.call('pullImage', [ref], signal, (line) => onProgress?.(line as string));
  }
  async buildImage(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo> {
    // Loaded only for builds: the contexts as manifests (unchanged files' digests remembered here;
    // only the files the remote cache lacks are read again and sent), the secrets' values, and the
    // agents lent for the build's length (remote-build.ts).
    const { buildPayload } = await import('./remote-build.js');
    // A secret or agent that cannot be read here fails the build as the local builder's step would, naming the image.
    const named = (err: unknown): never => {
      throw err instanceof StackError ? err : new StackError('E_BUILD', `image ${spec.tag}: ${(err as Error).message}`, 1);
    };
    const send = { digestsRoot: this.digestsRoot, call: <T>(method: string, args: unknown[]) => this.call<T>(method, args, signal), say: (line: string) => onEvent?.({ kind: 'output', line }) };
    const payload = await buildPayload(spec, `${this.project}/${spec.tag}`, send).catch(named);
    const agents = await this.lendAgents(spec).catch(named);
    try {
      const wire = agents.length > 0 ? { ...payload.spec, ssh: agents.map((a) => ({ id: a.id, path: a.path })) } : payload.spec;
      return await this.call('buildImage', [wire, payload.context, payload.extras], signal, (e) => onEvent?.(e as BuildEvent));
    } finally {
      await Promise.all(agents.map((a) => a.close()));
    }
  }

  /** The SSH agents of `spec.ssh`, each forwarded to the remote host until closed (agent-forward.ts). */
  private async lendAgents(spec: BuildSpec): Promise<(ForwardedAgent & { id: string })[]> {
    if (!spec.ssh || spec.ssh.length === 0) return [];
    const [{ agentSocket }, { forwardAgent }] = await Promise.all([import('../runtime/embedded/builder/run-settings.js'), import('./agent-forward.js')]);
    const lent: (ForwardedAgent & { id: string })[] = [];
    try {
      for (const { id } of spec.ssh) lent.push({ id, ...(await forwardAgent(this.connection.target, id, agentSocket(id, { ssh: spec.ssh })!)) });
    } catch (err) {
      await Promise.all(lent.map((a) => a.close()));
      throw err;
    }
    return lent;
  }
  listImages(): Promise<ImageInfo[]> {
    return this.call('listImages', []);
  }
  removeImage(ref: string): Promise<void> {
    return this.call('removeImage', [ref]);
  }

  override async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    await this.noteLocalOnlyBinds(spec);
    if (spec.tty) this.ttys.add(spec.name);
    return this.local(await super.createContainer(spec));
  }
  override async startContainer(name: string): Promise<ContainerInfo> {
    return this.local(await super.startContainer(name));
  }
  override async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    const info = await super.inspectContainer(name);
    return info ? this.local(info) : undefined;
  }
  override async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return (await this.remoteContainers(labels)).map((c) => this.local(c));
  }
  async *logs(name: string, opts?: LogOptions): AsyncIterable<LogLine> {
    const { signal, ...rest } = opts ?? {};
    yield* this.stream<LogLine>('logs', [name, rest], signal);
  }
  exec(name: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.interactive) return interactiveExec(this.connection.target, this.project, name, opts);
    return this.call('exec', [name, opts]);
  }
  async *events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    yield* this.stream<ContainerEvent>('events', [labels, opts.since ?? null], opts.signal);
  }

  // `stack cp`: the archive goes over an ssh session of its own (remote-copy.ts).
  async copyFromContainer(name: string, src: string, dest: string, opts: CopyOptions = {}): Promise<void> {
    const { copyFromRemote } = await import('./remote-copy.js');
    await copyFromRemote({ target: this.connection.target, project: this.project, container: name, opts }, src, dest);
  }
  async copyToContainer(name: string, src: string, dest: string, opts: CopyOptions = {}): Promise<void> {
    const { copyToRemote } = await import('./remote-copy.js');
    await copyToRemote({ target: this.connection.target, project: this.project, container: name, opts }, src, dest);
  }

  // issue 19: readiness probes from the host the containers are on.
  /** Runs a tcp or http probe from the remote host. */
  probeEndpoint(probe: RemoteProbe, signal: AbortSignal): Promise<ProbeOutcome> {
    return this.call('probe', [probe], signal);
  }

  /** Bind sources are the remote host's paths: `up` makes the missing ones there, none here. */
  remoteBinds(): RemoteBinds {
    return { host: this.connection.target.url, make: (paths) => this.call<string[]>('makePaths', [paths]) };
  }

  /** Keeps the supervisor there from leaving until the returned function is called (supervisor-hold.ts). */
  holdSupervisor(): () => void {
    const until = new AbortController();
    this.call('holdSupervisor', [], until.signal).catch(() => undefined); // ended by the abort, or the connection's end
    return () => until.abort();
  }

  /** Stops the project's supervisor there (containers stay; `down` then clears the ledger). */
  shutdownSupervisor(): Promise<void> {
    return this.call('shutdownSupervisor', []);
  }
  /** Removes everything the project's ledger there still names. */
  cleanupProject(volumes: boolean): Promise<void> {
    return this.call('cleanupProject', [volumes]);
  }
  /** Which of `paths` do not exist on the remote host. */
  missingPaths(paths: string[]): Promise<string[]> {
    return this.call('missingPaths', [paths]);
  }

  // Attached one-off runs (`stack run`): an ssh session of their own carries stdin, stdout, stderr
  // and the terminal (`hafen system run-attach` there starts the container with them).
  async startAttached(name: string): Promise<ExitStatus> {
    const exitCode = await attachedRun(this.connection.target, this.project, name, this.ttys.has(name));
    const info = await this.inspectContainer(name).catch(() => undefined);
    return { exitCode, oomKilled: info?.oomKilled ?? false };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** A streaming call as an async iterable: items as they come, until it ends, fails or `signal` aborts. */
  private async *stream<T>(method: string, args: unknown[], signal: AbortSignal | undefined): AsyncIterable<T> {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: unknown;
    const own = new AbortController();
    const onAbort = (): void => own.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.call<null>(method, args, own.signal, (item) => {
      queue.push(item as T);
      wake?.();
    })
      .catch((err: unknown) => {
        if (!own.signal.aborted) failure = err;
      })
      .finally(() => {
        ended = true;
        wake?.();
      });
    try {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (ended || own.signal.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!ended) own.abort(); // the consumer stopped early: the remote side stops too
    }
  }
}
