/**
 * FOR TESTS ONLY: an in-memory `Runtime` double for the executor's unit tests. It is never a
 * user-facing runtime and is not exported from the package entry. Containers follow scripts
 * (healthy after N ms, exit with code X after N ms, fail to start, log lines at set times) on the
 * injected clock, and every call is recorded with its start and end time, so tests can assert what
 * ran, in what order, and what overlapped.
 */
import type { Millis } from '../config/model.js';
import { RuntimeError, SnapshotError } from '../errors.js';
import type { SnapshotInfo, SnapshotOptions } from '../runtime/snapshot-types.js';
import {
  Label,
  type BuildEvent,
  type BuildSpec,
  type ContainerEvent,
  type ContainerEventAction,
  type ContainerInfo,
  type ContainerSpec,
  type ContainerStats,
  type EventOptions,
  type ExecOptions,
  type ExecResult,
  type ExitStatus,
  type ImageInfo,
  type LogLine,
  type LogOptions,
  type NetworkSpec,
  type Runtime,
  type VolumeSpec,
  type CopyOptions,
  type ProcessTable,
} from '../runtime/runtime.js';
import fs from 'node:fs';
import type { Clock } from './clock.js';
import { ContainerEventHub } from '../runtime/event-hub.js';

/** How a scripted container behaves; times are ms after it starts unless said otherwise. */
export interface ContainerScript {
  /** How long createContainer / startContainer / stopContainer take. */
  createMs?: Millis;
  startMs?: Millis;
  stopMs?: Millis;
  /** Make create or start fail with this message. */
  failCreate?: string;
  failStart?: string;
  /** Exits this long after starting, with `exitCode` (default 0). */
  exitAfter?: Millis;
  exitCode?: number;
  /** With a healthcheck in its spec: reports `healthy` (or `unhealthy`) this long after starting; `starting` before. */
  healthyAfter?: Millis;
  unhealthyAfter?: Millis;
  /** Log lines and when each is written. */
  logs?: Array<{ at: Millis; text: string; stream?: 'stdout' | 'stderr' }>;
  /** Exec result by command and time since start; default exit 0. */
  exec?: (command: string[], sinceStart: Millis) => number | Partial<ExecResult>;
  /** Address per network name; default one made up per network. */
  addresses?: Record<string, string>;
}

/** How a scripted image behaves. */
export interface ImageScript {
  /** How long a build or pull takes. */
  ms?: Millis;
  fail?: string;
  /** Build progress to report. */
  buildEvents?: BuildEvent[];
}

/** One recorded runtime call. */
export interface RecordedCall {
  method: keyof Runtime;
  /** The container, network, volume or image it was about. */
  target: string;
  at: number;
  /** When it returned or threw; undefined while running. */
  end?: number;
  error?: string;
}

interface FakeContainer {
  spec: ContainerSpec;
  script: ContainerScript;
  createdAt: number;
  startedAt?: number;
  /** When it exited (stop, kill, or its script); may lie ahead of now for a scripted exit. */
  exitAt?: number;
  exitCode?: number;
  /** Woken when it is stopped or killed before its script ends it. */
  stopped: Array<() => void>;
  /** Frozen by pauseContainer (reported `paused` while it runs). */
  paused?: boolean;
  /** Files copied in by copyToContainer, by container path. */
  files?: Map<string, Buffer>;
}

/** A Runtime that keeps everything in memory and moves on the given clock. FOR TESTS ONLY. */
export class InMemoryRuntime implements Runtime {
  readonly name = 'embedded' as const;
  readonly calls: RecordedCall[] = [];
  readonly networks = new Map<string, NetworkSpec>();
  readonly volumes = new Map<string, VolumeSpec>();
  readonly images = new Set<string>();
  private readonly containers = new Map<string, FakeContainer>();
  private readonly containerScripts = new Map<string, ContainerScript>();
  private readonly imageScripts = new Map<string, ImageScript>();

  constructor(private readonly clock: Clock) {}

  /** Scripts containers by container name, service name or image, looked up in that order. */
  script(key: string, script: ContainerScript): this {
    this.containerScripts.set(key, script);
    return this;
  }

  /** Scripts an image's build or pull. */
  scriptImage(ref: string, script: ImageScript): this {
    this.imageScripts.set(ref, script);
    return this;
  }

  /** The spec a container was created with. */
  spec(name: string): ContainerSpec | undefined {
    return this.containers.get(name)?.spec;
  }

  /** When the first call of `method` on `target` began, or undefined. */
  timeOf(method: keyof Runtime, target: string): number | undefined {
    return this.calls.find((c) => c.method === method && c.target === target)?.at;
  }

  /** Targets of the calls of one method, in call order. */
  targetsOf(method: keyof Runtime): string[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.target);
  }

  // Images

  async hasImage(ref: string): Promise<boolean> {
    return this.images.has(ref);
  }

  async pullImage(ref: string, onProgress?: (line: string) => void): Promise<void> {
    await this.record('pullImage', ref, async () => {
      const s = await this.imageWork(ref);
      onProgress?.(`pulled ${ref}`);
      if (s.fail) throw new RuntimeError(`image ${ref}`, s.fail);
      this.images.add(ref);
    });
  }

  async buildImage(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo> {
    signal?.throwIfAborted();
    return this.record('buildImage', spec.tag, async () => {
      const s = this.imageScripts.get(spec.tag) ?? {};
      for (const e of s.buildEvents ?? []) onEvent?.(e);
      await this.imageWork(spec.tag);
      if (s.fail) throw new RuntimeError(`image ${spec.tag}`, s.fail);
      this.images.add(spec.tag);
      return { name: spec.tag, id: `sha256:${spec.tag}`, size: 0 };
    });
  }

  async listImages(): Promise<ImageInfo[]> {
    return [...this.images].map((name) => ({ name, id: `sha256:${name}`, size: 0 }));
  }

  async removeImage(ref: string): Promise<void> {
    await this.record('removeImage', ref, async () => void this.images.delete(ref));
  }

  // Networks and volumes

  async createNetwork(spec: NetworkSpec): Promise<void> {
    await this.record('createNetwork', spec.name, async () => void this.networks.set(spec.name, spec));
  }

  async removeNetwork(name: string): Promise<void> {
    await this.record('removeNetwork', name, async () => void this.networks.delete(name));
  }

  async createVolume(spec: VolumeSpec): Promise<void> {
    await this.record('createVolume', spec.name, async () => void this.volumes.set(spec.name, spec));
  }

  async removeVolume(name: string): Promise<void> {
    await this.record('removeVolume', name, async () => void this.volumes.delete(name));
  }

  async listNetworks(labels: Record<string, string>): Promise<string[]> {
    return [...this.networks.values()].filter((n) => matches(n.labels, labels)).map((n) => n.name);
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    return [...this.volumes.values()].filter((v) => matches(v.labels, labels)).map((v) => v.name);
  }

  // Containers

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    return this.record('createContainer', spec.name, async () => {
      const script = this.scriptFor(spec);
      await this.clock.sleep(script.createMs ?? 0);
      if (script.failCreate) throw new RuntimeError(`container ${spec.name}`, script.failCreate);
      if (this.containers.has(spec.name)) throw new RuntimeError(`container ${spec.name}`, 'already exists');
      this.containers.set(spec.name, { spec, script, createdAt: this.clock.now(), stopped: [] });
      this.tell('create', spec.name);
      return this.info(spec.name)!;
    });
  }

  async startContainer(name: string): Promise<ContainerInfo> {
    return this.record('startContainer', name, async () => {
      const c = this.must(name);
      await this.clock.sleep(c.script.startMs ?? 0);
      if (c.script.failStart) throw new RuntimeError(`container ${name}`, c.script.failStart);
      const now = this.clock.now();
      c.startedAt = now;
      c.exitAt = c.script.exitAfter !== undefined ? now + c.script.exitAfter : undefined;
      c.exitCode = c.script.exitAfter !== undefined ? (c.script.exitCode ?? 0) : undefined;
      this.tell('start', name);
      this.tellHealth(name, c, now);
      return this.info(name)!;
    });
  }

  /** Reports the scripted health changes of a run (`health_status`), as a runtime running the healthcheck does. */
  private tellHealth(name: string, c: FakeContainer, startedAt: number): void {
    if (this.health(c, startedAt) === 'none') return;
    for (const after of [c.script.healthyAfter, c.script.unhealthyAfter]) {
      if (after === undefined) continue;
      void this.clock.sleep(after).then(() => {
        if (this.containers.get(name) === c && c.startedAt === startedAt && !this.exited(c)) this.tell('health_status', name, { health: this.health(c, this.clock.now()) });
      });
    }
  }

  async stopContainer(name: string): Promise<void> {
    await this.record('stopContainer', name, async () => {
      const stopMs = this.containers.get(name)?.script.stopMs;
      if (stopMs) await this.clock.sleep(stopMs);
      this.end(name, 0);
      this.tell('stop', name);
    });
  }

  async killContainer(name: string): Promise<void> {
    await this.record('killContainer', name, async () => {
      this.tell('kill', name, { signal: 'SIGKILL' });
      this.end(name, 137);
    });
  }

  async removeContainer(name: string): Promise<void> {
    await this.record('removeContainer', name, async () => {
      this.end(name, 137);
      this.tell('destroy', name);
      this.containers.delete(name);
    });
  }

  async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    return this.info(name);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return [...this.containers.keys()].map((n) => this.info(n)!).filter((c) => matches(c.labels, labels));
  }

  async waitContainer(name: string, signal?: AbortSignal): Promise<ExitStatus> {
    return this.record('waitContainer', name, async () => {
      const c = this.must(name);
      await this.untilExit(c, signal);
      return { exitCode: c.exitCode ?? 0, oomKilled: false };
    });
  }

  async *logs(name: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const c = this.must(name);
    const all = (c.script.logs ?? []).slice().sort((a, b) => a.at - b.at);
    const lineTime = (i: number): number => (c.startedAt ?? Infinity) + all[i]!.at;
    const visible = (): number => all.filter((_, i) => lineTime(i) <= Math.min(this.clock.now(), c.exitAt ?? Infinity)).length;
    let i = opts.tail !== undefined ? Math.max(0, visible() - opts.tail) : 0;
    for (;;) {
      const seen = visible();
      for (; i < seen; i++) {
        if (opts.until !== undefined && lineTime(i) > (typeof opts.until === 'number' ? opts.until : Date.parse(opts.until))) return; // logs --until
        yield this.logLine(all[i]!, lineTime(i));
      }
      if (!opts.follow || this.exited(c)) return;
      const next = i < all.length ? lineTime(i) : Infinity;
      const until = Math.min(next, c.exitAt ?? Infinity);
      if (until === Infinity) await this.untilExit(c, opts.signal);
      else await this.clock.sleep(until - this.clock.now(), opts.signal);
    }
  }

  async exec(name: string, opts: ExecOptions): Promise<ExecResult> {
    return this.record('exec', name, async () => {
      const c = this.must(name);
      if (c.startedAt === undefined || this.exited(c)) throw new RuntimeError(`container ${name}`, 'is not running');
      const r = c.script.exec?.(opts.command, this.clock.now() - c.startedAt) ?? 0;
      const out = typeof r === 'number' ? { exitCode: r } : r;
      return { exitCode: out.exitCode ?? 0, stdout: out.stdout ?? '', stderr: out.stderr ?? '' };
    });
  }

  async stats(name: string): Promise<ContainerStats> {
    this.must(name);
    return { cpuNanos: 0, memoryBytes: 0, pids: 1 };
  }

  // Attached one-off runs (`stack run`): no stdio to attach here; a start, then its end.
  async startAttached(name: string): Promise<ExitStatus> {
    await this.startContainer(name);
    return this.waitContainer(name);
  }

  async close(): Promise<void> {}

  // Container events (issue 14): those of the calls above, at the clock's time.
  private readonly hub = new ContainerEventHub();

  events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    return this.hub.follow(labels, opts);
  }

  private tell(action: ContainerEventAction, name: string, extra: Partial<ContainerEvent> = {}): void {
    const info = this.info(name);
    if (info) this.hub.emit({ time: new Date(this.clock.now()).toISOString(), action, id: info.id, name, image: info.image, labels: info.labels, ...extra });
  }

  // Snapshots and resets (issue 20): the copied-in files of each container, kept by snapshot name.
  private readonly snapshots = new Map<string, { info: SnapshotInfo; files: Map<string, Map<string, Buffer>> }>();

  async snapshot(project: string, name: string, containers: string[], _opts?: SnapshotOptions): Promise<SnapshotInfo> {
    return this.record('snapshot', name, async () => {
      const files = new Map(containers.map((c) => [c, new Map(this.must(c).files ?? [])]));
      const services = [...new Set(containers.map((c) => this.must(c).spec.labels[Label.service] ?? c))].sort();
      const info: SnapshotInfo = { name, project, services, containers: [...containers].sort(), volumes: [], size: 0, createdAt: new Date(this.clock.now()).toISOString() };
      this.snapshots.set(`${project}/${name}`, { info, files });
      return info;
    });
  }

  async listSnapshots(project: string): Promise<SnapshotInfo[]> {
    return [...this.snapshots.values()].map((s) => s.info).filter((i) => i.project === project);
  }

  async removeSnapshot(project: string, name: string): Promise<void> {
    if (!this.snapshots.delete(`${project}/${name}`)) throw new SnapshotError(`no snapshot ${JSON.stringify(name)} in project ${project}`);
  }

  async resetToSnapshot(project: string, name: string, containers: string[]): Promise<void> {
    await this.record('resetToSnapshot', name, async () => {
      const s = this.snapshots.get(`${project}/${name}`);
      if (!s) throw new SnapshotError(`no snapshot ${JSON.stringify(name)} in project ${project}`);
      for (const c of containers) {
        const held = s.files.get(c);
        if (!held) throw new SnapshotError(`snapshot ${name} does not hold container ${c}`);
        this.must(c).files = new Map(held);
      }
    });
  }

  // Pause, processes and copies: a flag, one made-up process, files kept in memory (regular files only).
  async pauseContainer(name: string): Promise<void> {
    await this.record('pauseContainer', name, async () => {
      const c = this.running(name);
      if (c.paused) throw new RuntimeError(`container ${name}`, 'is already paused');
      c.paused = true;
      this.tell('pause', name);
    });
  }

  async unpauseContainer(name: string): Promise<void> {
    await this.record('unpauseContainer', name, async () => {
      const c = this.running(name);
      if (!c.paused) throw new RuntimeError(`container ${name}`, 'is not paused');
      c.paused = false;
      this.tell('unpause', name);
    });
  }

  async top(name: string): Promise<ProcessTable> {
    const c = this.running(name);
    const cmd = [...(c.spec.entrypoint ?? []), ...(c.spec.command ?? [])].join(' ') || c.spec.image;
    return { titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], processes: [['root', '1', '0', '0', '00:00', '?', '00:00:00', cmd]] };
  }

  async copyFromContainer(name: string, src: string, dest: string, _opts?: CopyOptions): Promise<void> {
    await this.record('copyFromContainer', name, async () => {
      const data = this.must(name).files?.get(src);
      if (!data) throw new RuntimeError(`container ${name}`, `${src}: no such file or directory`);
      fs.writeFileSync(dest, data);
    });
  }

  async copyToContainer(name: string, src: string, dest: string, _opts?: CopyOptions): Promise<void> {
    await this.record('copyToContainer', name, async () => {
      const c = this.must(name);
      (c.files ??= new Map()).set(dest, fs.readFileSync(src));
    });
  }

  private running(name: string): FakeContainer {
    const c = this.must(name);
    if (c.startedAt === undefined || this.exited(c)) throw new RuntimeError(`container ${name}`, 'is not running');
    return c;
  }

  // Inner workings

  private scriptFor(spec: ContainerSpec): ContainerScript {
    return (
      this.containerScripts.get(spec.name) ??
      this.containerScripts.get(spec.labels[Label.service] ?? '') ??
      this.containerScripts.get(spec.image) ??
      {}
    );
  }

  private async imageWork(ref: string): Promise<ImageScript> {
    const s = this.imageScripts.get(ref) ?? {};
    await this.clock.sleep(s.ms ?? 0);
    return s;
  }

  private must(name: string): FakeContainer {
    const c = this.containers.get(name);
    if (!c) throw new RuntimeError(`container ${name}`, 'no such container');
    return c;
  }

  private exited(c: FakeContainer): boolean {
    return c.exitAt !== undefined && c.exitAt <= this.clock.now();
  }

  /** Ends a running container now with `code`, unless it has ended already. */
  private end(name: string, code: number): void {
    const c = this.containers.get(name);
    if (!c || c.startedAt === undefined || this.exited(c)) return;
    c.exitAt = this.clock.now();
    c.exitCode = code;
    c.paused = false;
    for (const wake of c.stopped.splice(0)) wake();
  }

  /** Resolves when the container has exited (scripted, stopped or killed). */
  private async untilExit(c: FakeContainer, signal?: AbortSignal): Promise<void> {
    while (!this.exited(c)) {
      const stopped = new Promise<void>((resolve) => c.stopped.push(resolve));
      const ahead = c.exitAt !== undefined ? c.exitAt - this.clock.now() : undefined;
      const guard = new AbortController();
      const onAbort = (): void => guard.abort(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race([
          stopped,
          ahead !== undefined ? this.clock.sleep(ahead, guard.signal) : new Promise<never>(() => undefined),
          new Promise<never>((_, reject) => {
            if (guard.signal.aborted) reject(guard.signal.reason);
            guard.signal.addEventListener('abort', () => reject(guard.signal.reason), { once: true });
          }),
        ]);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        if (!guard.signal.aborted) guard.abort();
      }
      signal?.throwIfAborted();
    }
  }

  private info(name: string): ContainerInfo | undefined {
    const c = this.containers.get(name);
    if (!c) return undefined;
    const now = this.clock.now();
    const exited = this.exited(c);
    const state = c.startedAt === undefined ? 'created' : exited ? 'exited' : c.paused ? 'paused' : 'running';
    const info: ContainerInfo = {
      id: `id-${name}`,
      name,
      image: c.spec.image,
      labels: { ...c.spec.labels },
      state,
      health: this.health(c, now),
      oomKilled: false,
      createdAt: iso(c.createdAt),
      ports: c.spec.ports.map((p, i) => ({ target: p.target, protocol: p.protocol, hostIp: p.host_ip, hostPort: p.published ?? 40000 + i })),
      addresses: c.script.addresses ?? Object.fromEntries(c.spec.networks.map((n, i) => [n.name, `10.0.${i}.2`])),
      host: 'embedded',
    };
    if (c.startedAt !== undefined) info.startedAt = iso(c.startedAt);
    if (exited) {
      info.exitCode = c.exitCode ?? 0;
      info.finishedAt = iso(c.exitAt!);
    }
    return info;
  }

  private health(c: FakeContainer, now: number): ContainerInfo['health'] {
    if (!c.spec.healthcheck || c.spec.healthcheck.test[0] === 'NONE' || c.startedAt === undefined) return 'none';
    const since = now - c.startedAt;
    if (c.script.unhealthyAfter !== undefined && since >= c.script.unhealthyAfter) return 'unhealthy';
    if (c.script.healthyAfter !== undefined && since >= c.script.healthyAfter) return 'healthy';
    return 'starting';
  }

  private logLine(line: { text: string; stream?: 'stdout' | 'stderr' }, at: number): LogLine {
    return { time: iso(at), stream: line.stream ?? 'stdout', text: line.text };
  }

  /** Runs `work` as one recorded call. */
  private async record<T>(method: keyof Runtime, target: string, work: () => Promise<T>): Promise<T> {
    const call: RecordedCall = { method, target, at: this.clock.now() };
    this.calls.push(call);
    try {
      return await work();
    } catch (err) {
      call.error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      call.end = this.clock.now();
    }
  }
}

function matches(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
