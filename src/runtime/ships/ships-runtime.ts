/**
 * Several runtimes as one, maestro-ng's "ships": each service runs on the runtime of its `ship:`
 * (services without one on the default ship); networks, volumes and images are made on every ship
 * in use. The ships are Docker engines (../docker/ships-runtime.ts) or hafen's embedded runtime on
 * this machine and on other Linux hosts over ssh (src/remote/embedded-ships.ts). A dependent on
 * another ship cannot reach its dependency by name, so it gets `<DEP>_HOST` and `<DEP>_PORT`
 * (its first published port; `<DEP>_PORT_<target>` for each) in its environment, as maestro-ng
 * does; where those point is the dependency's ship's to say (ShipEngine.reach). Such a dependent is
 * created on its start, once the dependency has its port.
 */
import { SnapshotError, StackError } from '../../errors.js';
import type { Stack } from '../../config/model.js';
import type {
  BuildEvent,
  BuildSpec,
  ContainerEvent,
  ContainerInfo,
  ContainerSpec,
  ContainerStats,
  CopyOptions,
  EndpointProbe,
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
} from '../runtime.js';
import { Label } from '../runtime.js';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../snapshot-types.js';
import { mergeEvents } from '../docker/docker-events.js';
import { listShipSnapshots, removeShipSnapshot, resetShipSnapshot, shipsHolding, takeShipSnapshot, type ShipsOfProject } from './ship-snapshots.js';

/** The key of the ship services without `ship:` use. */
export const DEFAULT_SHIP = '';

/** Where a dependent on another ship reaches a service's published ports. */
export interface ShipReach {
  /** `<DEP>_HOST`. */
  host: string;
  /** Each published port: the container's port and where the dependent connects to it. */
  ports: { target: number; port: number }[];
  /** Names the dependent's /etc/hosts needs for `host` (`host-gateway` and the like). */
  extraHosts?: Record<string, string>;
}

/** One ship: its runtime, and how dependents on other ships reach its services. */
export interface ShipEngine {
  runtime: Runtime;
  /** What `ps` shows as where its containers run (ContainerInfo.host): the ship's name or the engine's address. */
  host: string;
  /** Where `dependent`, on ship `from`, reaches `service`'s published ports (its running container's first). */
  reach(project: string, service: string, from: ShipEngine, dependent: ContainerSpec): Promise<ShipReach>;
  /** Why a dependent on ship `from` cannot reach services of this ship at all, or undefined. */
  unreachableFrom?(from: ShipEngine): string | undefined;
  /**
   * Called while containers of this ship wait to be created (their dependencies elsewhere are not
   * up yet); returns what ends it. An embedded ship keeps its supervisor from leaving meanwhile.
   */
  holdWhilePending?(): () => void;
  /** Removes what carries the project's label there (Docker engines; embedded ships are cleared by `down`). */
  cleanupProject?(project: string, opts: { keepVolumes?: boolean }): Promise<void>;
}

/** A runtime over the ships of one stack. */
export class ShipsRuntime implements Runtime {
  private readonly located = new Map<string, string>();
  /** Containers to be created at start (see createContainer). */
  private readonly pending = new Map<string, ContainerSpec>();
  /** Container addresses by ship, for `ready:` probes (seen in inspections). */
  private readonly addressShip = new Map<string, string>();
  /** Pending containers put onto a snapshot (`up --from-snapshot`): reset there once created, before their start. */
  private readonly pendingResets = new Map<string, { project: string; snapshot: string }>();
  /** What ends each ship's hold while it has pending containers (ShipEngine.holdWhilePending). */
  private readonly holds = new Map<string, () => void>();

  /** `engines` by ship name (DEFAULT_SHIP: the default one); `placement`: service → ship. */
  constructor(
    readonly name: Runtime['name'],
    private readonly engines: Map<string, ShipEngine>,
    private readonly placement: Record<string, string>,
    private readonly stack: Pick<Stack, 'name' | 'services'>,
  ) {}

  private all(): Runtime[] {
    return [...this.engines.values()].map((e) => e.runtime);
  }

  private keyOfService(service: string | undefined): string {
    const key = this.placement[service ?? ''] ?? DEFAULT_SHIP;
    return this.engines.has(key) ? key : [...this.engines.keys()][0]!;
  }

  /** The key of the ship holding container `name` (asked of each ship the first time). */
  private async shipOf(name: string): Promise<string> {
    let key = this.located.get(name);
    if (key === undefined) {
      const found = await Promise.all([...this.engines].map(async ([k, e]) => ((await e.runtime.inspectContainer(name)) ? k : undefined)));
      key = found.find((k) => k !== undefined);
      if (key !== undefined) this.located.set(name, key);
    }
    return key ?? [...this.engines.keys()][0]!;
  }

  /** The runtime of the ship holding container `name`. */
  private async engineOf(name: string): Promise<Runtime> {
    return this.engines.get(await this.shipOf(name))!.runtime;
  }

  /** `info` as seen on ship `key`: its addresses noted, its host the ship's. */
  private seen(key: string, info: ContainerInfo): ContainerInfo {
    for (const address of Object.values(info.addresses)) this.addressShip.set(address, key);
    const host = this.engines.get(key)?.host;
    return host === undefined || host === info.host ? info : { ...info, host };
  }

  async hasImage(ref: string): Promise<boolean> {
    return (await Promise.all(this.all().map((r) => r.hasImage(ref)))).every(Boolean);
  }
  async pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    await Promise.all(this.all().map((r) => r.pullImage(ref, onProgress, signal)));
  }
  async buildImage(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo> {
    const [first, ...rest] = this.all();
    const [info] = await Promise.all([first!.buildImage(spec, onEvent, signal), ...rest.map((r) => r.buildImage(spec, undefined, signal))]);
    return info;
  }
  async listImages(): Promise<ImageInfo[]> {
    return (await Promise.all(this.all().map((r) => r.listImages()))).flat();
  }
  async removeImage(ref: string): Promise<void> {
    await Promise.all(this.all().map((r) => r.removeImage(ref)));
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    await Promise.all(this.all().map((r) => r.createNetwork(spec)));
  }
  async removeNetwork(name: string): Promise<void> {
    await Promise.all(this.all().map((r) => r.removeNetwork(name)));
  }
  async createVolume(spec: VolumeSpec): Promise<void> {
    await Promise.all(this.all().map((r) => r.createVolume(spec)));
  }
  async removeVolume(name: string): Promise<void> {
    await Promise.all(this.all().map((r) => r.removeVolume(name)));
  }

  /**
   * A service with a dependency on another ship is created when it is started: only then has the
   * dependency been started and its published port chosen. Until then it is reported as created.
   */
  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    const service = spec.labels[Label.service];
    const key = this.keyOfService(service);
    this.located.set(spec.name, key);
    const deps = this.crossShipDeps(service, key);
    for (const dep of deps) {
      const why = this.engines.get(this.keyOfService(dep))!.unreachableFrom?.(this.engines.get(key)!);
      if (why) throw new StackError('E_REMOTE', `service ${service}${key ? ` on ship ${key}` : ''} depends on ${dep}${this.keyOfService(dep) ? ` on ship ${this.keyOfService(dep)}` : ''}: ${why}`, 2);
    }
    if (deps.length > 0) {
      this.pending.set(spec.name, spec);
      this.hold(key);
      return pendingInfo(spec, this.engines.get(key)!.host);
    }
    return this.seen(key, await this.engines.get(key)!.runtime.createContainer(spec));
  }

  /** Holds ship `key` while it has pending containers; lets go once it has none. */
  private hold(key: string): void {
    const waiting = [...this.pending.keys()].some((name) => this.located.get(name) === key);
    const release = this.holds.get(key);
    if (waiting && !release) {
      const end = this.engines.get(key)!.holdWhilePending?.();
      if (end) this.holds.set(key, end);
    } else if (!waiting && release) {
      release();
      this.holds.delete(key);
    }
  }

  private async createPending(name: string): Promise<void> {
    const spec = this.pending.get(name);
    if (!spec) return;
    this.pending.delete(name);
    this.hold(this.located.get(name) ?? DEFAULT_SHIP);
    const service = spec.labels[Label.service];
    const key = this.keyOfService(service);
    const { env, extraHosts } = await this.crossShipEnv(spec, key);
    const runtime = this.engines.get(key)!.runtime;
    await runtime.createContainer({ ...spec, env: { ...env, ...spec.env }, extraHosts: { ...extraHosts, ...spec.extraHosts } });
    const onto = this.pendingResets.get(name);
    this.pendingResets.delete(name);
    if (onto) await runtime.resetToSnapshot(onto.project, onto.snapshot, [name]);
  }

  private crossShipDeps(service: string | undefined, key: string): string[] {
    const def = this.stack.services[service ?? ''];
    const deps = [...Object.keys(def?.depends_on ?? {}), ...(def?.links ?? []).map((l) => l.service)];
    return [...new Set(deps)].filter((dep) => this.stack.services[dep] && this.keyOfService(dep) !== key);
  }

  /** `<DEP>_HOST` and `<DEP>_PORT` of each dependency on another ship than `key`, and the host names they need. */
  private async crossShipEnv(spec: ContainerSpec, key: string): Promise<{ env: Record<string, string>; extraHosts: Record<string, string> }> {
    const env: Record<string, string> = {};
    let extraHosts: Record<string, string> = {};
    for (const dep of this.crossShipDeps(spec.labels[Label.service], key)) {
      const reach = await this.engines.get(this.keyOfService(dep))!.reach(this.stack.name, dep, this.engines.get(key)!, spec);
      const prefix = dep.toUpperCase().replace(/[^A-Z0-9]/g, '_');
      env[`${prefix}_HOST`] = reach.host;
      if (reach.ports[0]) env[`${prefix}_PORT`] = String(reach.ports[0].port);
      for (const p of reach.ports) env[`${prefix}_PORT_${p.target}`] = String(p.port);
      extraHosts = { ...extraHosts, ...reach.extraHosts };
    }
    return { env, extraHosts };
  }

  async startContainer(name: string): Promise<ContainerInfo> {
    await this.createPending(name);
    return this.seen(this.located.get(name) ?? DEFAULT_SHIP, await (await this.engineOf(name)).startContainer(name));
  }
  async stopContainer(name: string, opts?: { timeout?: number }): Promise<void> {
    return (await this.engineOf(name)).stopContainer(name, opts);
  }
  async killContainer(name: string, signal?: string): Promise<void> {
    return (await this.engineOf(name)).killContainer(name, signal);
  }
  async removeContainer(name: string, opts?: { force?: boolean }): Promise<void> {
    this.pendingResets.delete(name);
    if (this.pending.delete(name)) return this.hold(this.located.get(name) ?? DEFAULT_SHIP);
    await (await this.engineOf(name)).removeContainer(name, opts);
    this.located.delete(name);
  }
  async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    const pending = this.pending.get(name);
    if (pending) return pendingInfo(pending, this.engines.get(this.located.get(name)!)!.host);
    const info = await (await this.engineOf(name)).inspectContainer(name);
    return info && this.seen(this.located.get(name) ?? DEFAULT_SHIP, info);
  }
  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const lists = await Promise.all(
      [...this.engines].map(async ([key, e]) => {
        const found = await e.runtime.listContainers(labels);
        for (const c of found) this.located.set(c.name, key);
        return found.map((c) => this.seen(key, c));
      }),
    );
    // Pending ones too, as created (what inspecting them says): `up --from-snapshot` puts them onto the snapshot.
    const waiting = [...this.pending.values()]
      .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .map((s) => pendingInfo(s, this.engines.get(this.located.get(s.name) ?? DEFAULT_SHIP)!.host));
    return [...lists.flat(), ...waiting].sort((a, b) => a.name.localeCompare(b.name));
  }
  async waitContainer(name: string, signal?: AbortSignal): Promise<ExitStatus> {
    return (await this.engineOf(name)).waitContainer(name, signal);
  }
  async *logs(name: string, opts?: LogOptions): AsyncIterable<LogLine> {
    yield* (await this.engineOf(name)).logs(name, opts);
  }
  async exec(name: string, opts: ExecOptions): Promise<ExecResult> {
    return (await this.engineOf(name)).exec(name, opts);
  }
  // Attached one-off runs (`stack run`): a dependent on another ship is created at its start, as in startContainer.
  async startAttached(name: string): Promise<ExitStatus> {
    await this.createPending(name);
    return (await this.engineOf(name)).startAttached(name);
  }
  async stats(name: string): Promise<ContainerStats> {
    return (await this.engineOf(name)).stats(name);
  }
  async listNetworks(labels: Record<string, string>): Promise<string[]> {
    return [...new Set((await Promise.all(this.all().map((r) => r.listNetworks(labels)))).flat())].sort();
  }
  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    return [...new Set((await Promise.all(this.all().map((r) => r.listVolumes(labels)))).flat())].sort();
  }

  /** Removes what carries the project's label on every ship that can be asked so (Docker engines). */
  async cleanupProject(project: string, opts: { keepVolumes?: boolean } = {}): Promise<void> {
    await Promise.all([...this.engines.values()].map((e) => e.cleanupProject?.(project, opts)));
  }

  // Container events (issue 14): every ship's, as they come.
  events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    return mergeEvents(this.all().map((r) => r.events(labels, opts)));
  }

  // issue 19: a `ready:` probe runs where the container's ship says (a remote host probes from there).
  async probeEndpoint(probe: EndpointProbe, signal: AbortSignal): Promise<{ status: 'ok' | 'pending' | 'fatal'; detail: string }> {
    // By the container when the probe names it: two hosts' stack networks may well share addresses.
    const key = (probe.container !== undefined ? this.located.get(probe.container) : undefined) ?? this.addressShip.get(probe.host) ?? DEFAULT_SHIP;
    const runtime = this.engines.get(key)?.runtime;
    if (runtime?.probeEndpoint) return runtime.probeEndpoint(probe, signal);
    const { tcpConnect, httpGet } = await import('../../executor/readiness/probes.js');
    return probe.kind === 'tcp' ? tcpConnect(probe.host, probe.port, signal) : httpGet(probe.host, probe.port, probe.path, probe.status, signal);
  }

  remoteBinds(service: string): RemoteBinds | undefined {
    return this.engines.get(this.keyOfService(service))!.runtime.remoteBinds?.(service);
  }

  async close(): Promise<void> {
    for (const release of this.holds.values()) release();
    this.holds.clear();
    await Promise.all(this.all().map((r) => r.close()));
  }

  // Pause, processes and copies: on the ship the container runs on.
  async pauseContainer(name: string): Promise<void> {
    return (await this.engineOf(name)).pauseContainer(name);
  }
  async unpauseContainer(name: string): Promise<void> {
    return (await this.engineOf(name)).unpauseContainer(name);
  }
  async top(name: string): Promise<ProcessTable> {
    return (await this.engineOf(name)).top(name);
  }
  async copyFromContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void> {
    return (await this.engineOf(name)).copyFromContainer(name, src, dest, opts);
  }
  async copyToContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void> {
    return (await this.engineOf(name)).copyToContainer(name, src, dest, opts);
  }

  // Snapshots and resets (issue 20): each ship keeps the part of its containers, Docker ships in
  // their engine, embedded ships (here or another host's, over its ssh channel) in their state root
  // (ship-snapshots.ts).
  private get shipsOfProject(): Promise<ShipsOfProject> {
    return Promise.resolve({ runtimes: new Map([...this.engines].map(([k, e]) => [k, e.runtime])), shipOf: (c) => this.shipOf(c) });
  }
  async snapshot(project: string, name: string, containers: string[], opts?: SnapshotOptions): Promise<SnapshotInfo> {
    return takeShipSnapshot(await this.shipsOfProject, project, name, containers, opts);
  }
  async listSnapshots(project: string): Promise<SnapshotInfo[]> {
    return listShipSnapshots(await this.shipsOfProject, project);
  }
  async removeSnapshot(project: string, name: string): Promise<void> {
    return removeShipSnapshot(await this.shipsOfProject, project, name);
  }
  async resetToSnapshot(project: string, name: string, containers: string[], opts?: ResetOptions): Promise<void> {
    // A pending container (a dependent on another ship, made at its start) is reset once made.
    for (const c of containers) if (this.pending.has(c)) this.pendingResets.set(c, { project, snapshot: name });
    const made = containers.filter((c) => !this.pending.has(c));
    if (made.length > 0) await resetShipSnapshot(await this.shipsOfProject, project, name, made, opts);
  }
  /** `stack image save --snapshot` (not part of `Runtime`): one archive is one engine's, so a snapshot held on one ship only. */
  async saveSnapshot(project: string, name: string, file: string): Promise<string[]> {
    const ships = await this.shipsOfProject;
    const holding = await shipsHolding(ships, project, name);
    type Saver = { saveSnapshot?: (project: string, name: string, file: string) => Promise<string[]> };
    const only = holding.length === 1 ? (ships.runtimes.get(holding[0]!) as Saver) : undefined;
    if (holding.length === 1 && !only?.saveSnapshot) throw new SnapshotError(`snapshot ${name} is held on ship ${holding[0] || 'the default ship'}, an embedded ship: saving its snapshots is not done yet`);
    if (!only?.saveSnapshot) throw new SnapshotError(`snapshot ${name} is held on ships ${holding.map((k) => k || 'the default ship').join(', ') || '(none)'}; saving a snapshot spread over ships as one archive is not done yet`);
    return only.saveSnapshot(project, name, file);
  }
}

/** What a container to be created at start reports meanwhile. */
function pendingInfo(spec: ContainerSpec, host: string): ContainerInfo {
  return { id: '', name: spec.name, image: spec.image, labels: spec.labels, state: 'created', health: 'none', oomKilled: false, createdAt: new Date().toISOString(), ports: [], addresses: {}, host };
}
