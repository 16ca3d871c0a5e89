/**
 * Several Docker engines as one runtime, maestro-ng's "ships": each service runs on the engine of
 * its `ship:` (services without one on the default engine); networks, volumes and images are made
 * on every engine in use. A dependent on another ship cannot reach its dependency by name, so it
 * gets `<DEP>_HOST` (the dependency's ship address) and `<DEP>_PORT` (its first published port;
 * `<DEP>_PORT_<target>` for each) in its environment, as maestro-ng does. Ports a dependent on
 * another machine should reach must be published on a reachable address (`"0.0.0.0:5432:5432"`).
 * Such a dependent is created on its start, once the dependency has its port.
 */
import { refusedSnapshots } from './snapshot-refusal.js';
import os from 'node:os';
import type { Stack } from '../../config/model.js';
import type {
  BuildEvent,
  BuildSpec,
  ContainerEvent,
  ContainerInfo,
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
} from '../runtime.js';
import { Label } from '../runtime.js';
import { DockerRuntime } from './docker-runtime.js';
import { mergeEvents } from './docker-events.js';

/** The key of the engine services without `ship:` use. */
const DEFAULT = '';

/** One engine and the address other ships reach its published ports at. */
export interface ShipEngine {
  runtime: DockerRuntime;
  address: string;
}

/** A runtime over the ships of one stack. */
export class ShipsRuntime implements Runtime {
  readonly name = 'docker' as const;
  private readonly located = new Map<string, string>();
  /** Containers to be created at start (see createContainer). */
  private readonly pending = new Map<string, ContainerSpec>();

  /** `engines` by ship name (`''`: the default engine); `placement`: service → ship. */
  constructor(
    private readonly engines: Map<string, ShipEngine>,
    private readonly placement: Record<string, string>,
    private readonly stack: Pick<Stack, 'name' | 'services'>,
  ) {}

  /** The ships the stack's services use, each connected; the default engine when some service names none. */
  static forStack(stack: Stack, defaultEngine?: DockerRuntime): ShipsRuntime {
    const placement = Object.fromEntries(Object.values(stack.services).map((s) => [s.name, s.ship ?? DEFAULT]));
    const engines = new Map<string, ShipEngine>();
    for (const key of new Set(Object.values(placement))) {
      if (key === DEFAULT) {
        const runtime = defaultEngine ?? new DockerRuntime();
        engines.set(key, { runtime, address: shipAddress(runtime.host) });
        continue;
      }
      const ship = stack.ships[key]!;
      const runtime = new DockerRuntime({ docker: ship.docker, ship: key, baseDir: stack.dir, ...(ship.tls ? { tls: ship.tls } : {}) });
      engines.set(key, { runtime, address: shipAddress(ship.docker) });
    }
    return new ShipsRuntime(engines, placement, stack);
  }

  private all(): DockerRuntime[] {
    return [...this.engines.values()].map((e) => e.runtime);
  }

  private keyOfService(service: string | undefined): string {
    const key = this.placement[service ?? ''] ?? DEFAULT;
    return this.engines.has(key) ? key : [...this.engines.keys()][0]!;
  }

  /** The engine holding container `name` (asked of each engine the first time). */
  private async engineOf(name: string): Promise<DockerRuntime> {
    let key = this.located.get(name);
    if (key === undefined) {
      const found = await Promise.all([...this.engines].map(async ([k, e]) => ((await e.runtime.inspectContainer(name)) ? k : undefined)));
      key = found.find((k) => k !== undefined);
      if (key !== undefined) this.located.set(name, key);
    }
    return this.engines.get(key ?? [...this.engines.keys()][0]!)!.runtime;
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
    const key = this.keyOfService(spec.labels[Label.service]);
    this.located.set(spec.name, key);
    if (this.crossShipDeps(spec.labels[Label.service], key).length > 0) {
      this.pending.set(spec.name, spec);
      return pendingInfo(spec, this.engines.get(key)!.runtime.host);
    }
    return this.engines.get(key)!.runtime.createContainer(spec);
  }

  private async createPending(name: string): Promise<void> {
    const spec = this.pending.get(name);
    if (!spec) return;
    this.pending.delete(name);
    const service = spec.labels[Label.service];
    const key = this.keyOfService(service);
    const env = { ...(await this.crossShipEnv(service, key)), ...spec.env };
    await this.engines.get(key)!.runtime.createContainer({ ...spec, env });
  }

  private crossShipDeps(service: string | undefined, key: string): string[] {
    const def = this.stack.services[service ?? ''];
    const deps = [...Object.keys(def?.depends_on ?? {}), ...(def?.links ?? []).map((l) => l.service)];
    return [...new Set(deps)].filter((dep) => this.stack.services[dep] && this.keyOfService(dep) !== key);
  }

  /** `<DEP>_HOST` and `<DEP>_PORT` of each dependency on another ship than `key`. */
  private async crossShipEnv(service: string | undefined, key: string): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const dep of this.crossShipDeps(service, key)) {
      const depKey = this.keyOfService(dep);
      const { runtime, address } = this.engines.get(depKey)!;
      const containers = await runtime.listContainers({ [Label.project]: this.stack.name, [Label.service]: dep });
      const ports = containers.find((c) => c.state === 'running' && c.ports.length > 0)?.ports ?? containers.find((c) => c.ports.length)?.ports ?? [];
      const prefix = dep.toUpperCase().replace(/[^A-Z0-9]/g, '_');
      env[`${prefix}_HOST`] = address;
      if (ports[0]) env[`${prefix}_PORT`] = String(ports[0].hostPort);
      for (const p of ports) env[`${prefix}_PORT_${p.target}`] = String(p.hostPort);
    }
    return env;
  }

  async startContainer(name: string): Promise<ContainerInfo> {
    await this.createPending(name);
    return (await this.engineOf(name)).startContainer(name);
  }
  async stopContainer(name: string, opts?: { timeout?: number }): Promise<void> {
    return (await this.engineOf(name)).stopContainer(name, opts);
  }
  async killContainer(name: string, signal?: string): Promise<void> {
    return (await this.engineOf(name)).killContainer(name, signal);
  }
  async removeContainer(name: string, opts?: { force?: boolean }): Promise<void> {
    if (this.pending.delete(name)) return;
    await (await this.engineOf(name)).removeContainer(name, opts);
    this.located.delete(name);
  }
  async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    const pending = this.pending.get(name);
    if (pending) return pendingInfo(pending, this.engines.get(this.located.get(name)!)!.runtime.host);
    return (await this.engineOf(name)).inspectContainer(name);
  }
  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const lists = await Promise.all([...this.engines].map(async ([key, e]) => {
      const found = await e.runtime.listContainers(labels);
      for (const c of found) this.located.set(c.name, key);
      return found;
    }));
    return lists.flat().sort((a, b) => a.name.localeCompare(b.name));
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

  /** Removes what carries the project's label on every ship. */
  async cleanupProject(project: string, opts: { keepVolumes?: boolean } = {}): Promise<void> {
    await Promise.all(this.all().map((r) => r.cleanupProject(project, opts)));
  }

  // Container events (issue 14): every ship's, as they come.
  events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    return mergeEvents(this.all().map((r) => r.events(labels, opts)));
  }

  async close(): Promise<void> {
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

  // Snapshots and resets (issue 20): refused on Docker for now (snapshot-refusal.ts).
  snapshot = refusedSnapshots.snapshot;
  listSnapshots = refusedSnapshots.listSnapshots;
  removeSnapshot = refusedSnapshots.removeSnapshot;
  resetToSnapshot = refusedSnapshots.resetToSnapshot;
}

/** What a container to be created at start reports meanwhile. */
function pendingInfo(spec: ContainerSpec, host: string): ContainerInfo {
  return { id: '', name: spec.name, image: spec.image, labels: spec.labels, state: 'created', health: 'none', oomKilled: false, createdAt: new Date().toISOString(), ports: [], addresses: {}, host };
}

/**
 * Where other ships reach an engine's published ports: the host of a tcp:// or ssh:// address; for a
 * local socket, this machine's first external IPv4 address (containers elsewhere cannot use 127.0.0.1).
 */
export function shipAddress(docker: string): string {
  const url = new URL(docker);
  if (url.protocol !== 'unix:' && url.hostname) return url.hostname;
  const external = Object.entries(os.networkInterfaces())
    .filter(([name]) => !/^(docker|br-|veth|hafen)/.test(name))
    .flatMap(([, addrs]) => addrs ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal);
  return external?.address ?? '127.0.0.1';
}
