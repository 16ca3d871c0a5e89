/**
 * The runtime interface over one Docker engine (dockerode). The engine owns the containers: restart
 * policies are Docker's own (from the `io.hafen.restart` label), healthchecks are Docker's, and
 * everything is found again by its labels, so `down` sees what a killed run left.
 */
import { dockerSnapshots } from './snapshots/docker-snapshots.js';
import { removeProjectSnapshots } from './snapshots/snapshot-store.js';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../snapshot-types.js';
import path from 'node:path';
import { debuglog } from 'node:util';
import type Docker from 'dockerode';
import { RuntimeError } from '../../errors.js';
import {
  Label,
  type BuildEvent,
  type BuildSpec,
  type ContainerEvent,
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
} from '../runtime.js';
import { containerInfo } from './container-info.js';
import { dockerStateRoot } from './state-root.js';
import { StopRecords } from './stop-records.js';
import { dockerNetworkExtras } from './networking-options.js';
import { createRequest } from './create-options.js';
import { copiedFiles, filesArchive } from './container-files.js';
import { copyFrom, copyTo, pauseContainer, topOf, unpauseContainer } from './docker-container-ops.js';

/** The first Docker API that takes HostConfig.Annotations. */
const ANNOTATIONS_API = '1.43';

/** Whether API version `a` ("1.41") is older than `b`. */
function apiBelow(a: string, b: string): boolean {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 < b1 || (a1 === b1 && a2 < b2);
}
import { engineMessage, isNotFound, naming, statusOf } from './docker-errors.js';
import { engineEvents } from './docker-events.js';
import { execIn } from './docker-exec.js';
import { startAttached } from './docker-attach.js';
import { DockerImages } from './docker-images.js';
import { connectEngine, engineAddress, type EngineAddress } from './engine.js';
import { logParser } from './log-lines.js';

const debug = debuglog('hafen');

/** Which engine, and what to call it in `host`. */
export interface DockerRuntimeOptions extends EngineAddress {
  /** The ship's name; the engine's address when absent. */
  ship?: string;
  /** hafen's state folder for this engine's containers (stop records); dockerStateRoot() when absent. */
  stateRoot?: string;
}

/** The `image: host` refusal (chosen over building a look-alike image): it is the embedded runtime's view of this machine's folders. */
export function hostImageError(service?: string): RuntimeError {
  return new RuntimeError(
    service ? `service ${service}` : 'image host',
    '`image: host` runs on the embedded runtime only (it is the host\'s own folders); on Docker use a real image, ' +
      'or build one with hafen, `stack image save` it and `docker load` it',
  );
}

/** Docker as a hafen runtime. */
export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  readonly docker: Docker;
  /** The ship name or engine address containers report as `host`. */
  readonly host: string;
  private readonly images: DockerImages;
  private readonly stops: StopRecords;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = connectEngine(options);
    this.host = options.ship ?? engineAddress(options);
    this.images = new DockerImages(this.docker);
    this.stops = new StopRecords(path.join(options.stateRoot ?? dockerStateRoot(), 'docker', 'stopped'));
  }

  /** The container as hafen reports it: the engine's view, plus whether hafen stopped its last run. */
  private info(inspect: Docker.ContainerInspectInfo): ContainerInfo {
    const info = containerInfo(inspect, this.host);
    if (info.state === 'exited' && this.stops.stopped(inspect.Id, inspect.State.StartedAt)) info.stopRequested = true;
    return info;
  }

  /** Notes a stop (or kill) of a running container before it is asked, so it reads as stopped, not finished. */
  private async noteStop(container: Docker.Container): Promise<void> {
    const inspect = await container.inspect().catch(() => undefined);
    if (inspect?.State.Running) this.stops.note(inspect.Id, inspect.State.StartedAt);
  }

  hasImage(ref: string): Promise<boolean> {
    return this.images.has(ref);
  }
  pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    if (ref === 'host') return Promise.reject(hostImageError());
    return this.images.pull(ref, onProgress, signal);
  }
  buildImage(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo> {
    return this.images.build(spec, onEvent, signal);
  }
  listImages(): Promise<ImageInfo[]> {
    return this.images.list();
  }
  removeImage(ref: string): Promise<void> {
    return this.images.remove(ref);
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    debug('Creating network %s', spec.name);
    try {
      await this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: spec.internal,
        Labels: spec.labels,
        ...(spec.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }] } } : {}),
        ...dockerNetworkExtras(spec),
      });
    } catch (err) {
      if (statusOf(err) === 409) {
        const existing = await this.docker.getNetwork(spec.name).inspect().catch(() => undefined);
        if (existing?.Labels?.[Label.project] === spec.labels[Label.project]) return;
      }
      throw new RuntimeError(`network ${spec.name}`, `cannot create: ${engineMessage(err)}`, { cause: err });
    }
  }

  async removeNetwork(name: string): Promise<void> {
    debug('Removing network %s', name);
    await ignoringMissing(`network ${name}`, 'cannot remove', () => this.docker.getNetwork(name).remove());
  }

  async createVolume(spec: VolumeSpec): Promise<void> {
    debug('Creating volume %s', spec.name);
    await naming(`volume ${spec.name}`, 'cannot create', () => this.docker.createVolume({ Name: spec.name, Labels: spec.labels, ...(spec.driverOpts ? { DriverOpts: spec.driverOpts } : {}) }));
  }

  async removeVolume(name: string): Promise<void> {
    debug('Removing volume %s', name);
    await ignoringMissing(`volume ${name}`, 'cannot remove', () => this.docker.getVolume(name).remove());
  }

  /** Secrets and configs that are not bound: copied into the created container (see container-files.ts). */
  private async copyFiles(container: Docker.Container, spec: ContainerSpec, resource: string): Promise<void> {
    const { files, keepOwners } = copiedFiles(spec.files);
    if (files.length === 0) return;
    try {
      const archive = await filesArchive(files);
      await container.putArchive(archive, { path: '/', ...(keepOwners ? { copyUIDGID: true } : {}) });
    } catch (err) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      const what = files.map((f) => f.what).join(', ');
      throw new RuntimeError(resource, `cannot copy ${what} into it: ${err instanceof RuntimeError ? err.message : engineMessage(err)}`, { cause: err });
    }
  }

  /** The engine's API version ("1.41"), asked once. */
  private apiVersion?: Promise<string>;
  private async engineApi(): Promise<string> {
    this.apiVersion ??= this.docker.version().then((v) => v.ApiVersion);
    return this.apiVersion;
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    debug('Creating container %s', spec.name);
    if (spec.annotations && apiBelow(await this.engineApi(), ANNOTATIONS_API)) {
      throw new RuntimeError(
        `service ${spec.labels[Label.service] ?? spec.name}`,
        `annotations need Docker API ${ANNOTATIONS_API} (Docker 24) and ${this.host} speaks ${await this.engineApi()}; remove annotations, upgrade the engine, or use --runtime embedded`,
      );
    }
    if (spec.image === 'host') throw hostImageError(spec.labels[Label.service] ?? spec.name);
    await this.images.ensureBuiltin(spec.image);
    const { options, extraNetworks } = createRequest(spec, this.images.engineRef(spec.image));
    const resource = `container ${spec.name}`;
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(options);
    } catch (err) {
      if (isNotFound(err) && /image/i.test(engineMessage(err))) {
        throw new RuntimeError(resource, `image ${spec.image} is not on ${this.host}: pull or build it first (stack pull, stack build)`, { cause: err });
      }
      throw new RuntimeError(resource, `cannot create: ${engineMessage(err)}`, { cause: err });
    }
    try {
      for (const { network, config } of extraNetworks) {
        await this.docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: config });
      }
    } catch (err) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw new RuntimeError(resource, `cannot connect to its networks: ${engineMessage(err)}`, { cause: err });
    }
    await this.copyFiles(container, spec, resource);
    return this.info(await container.inspect());
  }

  async startContainer(name: string): Promise<ContainerInfo> {
    debug('Starting container %s', name);
    const container = this.docker.getContainer(name);
    try {
      await container.start();
    } catch (err) {
      if (statusOf(err) !== 304) throw new RuntimeError(`container ${name}`, `cannot start: ${engineMessage(err)}`, { cause: err });
    }
    return this.info(await container.inspect());
  }

  async stopContainer(name: string, opts: { timeout?: number } = {}): Promise<void> {
    debug('Stopping container %s', name);
    const container = this.docker.getContainer(name);
    await this.noteStop(container);
    try {
      await container.stop(opts.timeout !== undefined ? { t: Math.ceil(opts.timeout / 1000) } : {});
    } catch (err) {
      if (statusOf(err) !== 304) throw new RuntimeError(`container ${name}`, `cannot stop: ${engineMessage(err)}`, { cause: err });
    }
  }

  async killContainer(name: string, signal = 'SIGKILL'): Promise<void> {
    debug('Killing container %s (%s)', name, signal);
    const container = this.docker.getContainer(name);
    await this.noteStop(container);
    try {
      await container.kill({ signal });
    } catch (err) {
      if (statusOf(err) === 409) return; // not running
      throw new RuntimeError(`container ${name}`, `cannot kill: ${engineMessage(err)}`, { cause: err });
    }
    // Docker answers once the signal is sent; a SIGKILLed container is over once it has exited.
    if (signal === 'SIGKILL' || signal === 'KILL' || signal === '9') await container.wait({ condition: 'not-running' }).catch(() => undefined);
  }

  async removeContainer(name: string, opts: { force?: boolean } = {}): Promise<void> {
    debug('Removing container %s', name);
    try {
      const id = (await this.docker.getContainer(name).inspect().catch(() => undefined))?.Id;
      await this.docker.getContainer(name).remove({ force: opts.force === true, v: true });
      if (id) this.stops.forget(id);
    } catch (err) {
      if (isNotFound(err)) return;
      if (statusOf(err) === 409 && !opts.force) throw new RuntimeError(`container ${name}`, 'is running: stop it first, or remove it with force', { cause: err });
      throw new RuntimeError(`container ${name}`, `cannot remove: ${engineMessage(err)}`, { cause: err });
    }
  }

  async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    try {
      return this.info(await this.docker.getContainer(name).inspect());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new RuntimeError(`container ${name}`, `cannot inspect: ${engineMessage(err)}`, { cause: err });
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const found = await this.docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
    const infos = await Promise.all(found.map((c) => this.inspectContainer(c.Id)));
    return infos.filter((i): i is ContainerInfo => i !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  async waitContainer(name: string, signal?: AbortSignal): Promise<ExitStatus> {
    const container = this.docker.getContainer(name);
    const result = await naming(`container ${name}`, 'cannot wait', () =>
      container.wait({ condition: 'not-running', ...(signal ? { abortSignal: signal } : {}) }) as Promise<{ StatusCode: number }>,
    );
    const info = await container.inspect().catch(() => undefined);
    return { exitCode: result.StatusCode, oomKilled: info?.State.OOMKilled ?? false };
  }

  async *logs(name: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const container = this.docker.getContainer(name);
    const inspect = await naming(`container ${name}`, 'cannot read logs', () => container.inspect());
    const query = {
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: sinceSeconds(opts.since) } : {}),
      ...(opts.until !== undefined ? { until: sinceSeconds(opts.until) } : {}),
    };
    const queue: LogLine[] = [];
    const parser = logParser(inspect.Config.Tty, (l) => queue.push(l));
    if (!opts.follow) {
      parser.push((await container.logs({ ...query, follow: false })) as unknown as Buffer);
      parser.end();
      yield* queue;
      return;
    }
    const stream = (await container.logs({ ...query, follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    const stop = () => stream.destroy();
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const chunk of stream) {
        parser.push(chunk as Buffer);
        while (queue.length) yield queue.shift()!;
      }
      parser.end();
      yield* queue.splice(0);
    } catch (err) {
      if (!opts.signal?.aborted) throw err;
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      stop();
    }
  }

  exec(name: string, opts: ExecOptions): Promise<ExecResult> {
    return execIn(this.docker, name, opts);
  }

  async stats(name: string): Promise<ContainerStats> {
    const container = this.docker.getContainer(name);
    const query = { stream: false, 'one-shot': true } as { stream: false };
    const s = await naming(`container ${name}`, 'cannot read stats', () => container.stats(query));
    const mem = s.memory_stats ?? {};
    const cache = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file ?? 0;
    return {
      cpuNanos: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
      memoryBytes: Math.max(0, (mem.usage ?? 0) - cache),
      ...(mem.limit ? { memoryLimit: mem.limit } : {}),
      pids: s.pids_stats?.current ?? 0,
    };
  }

  async listNetworks(labels: Record<string, string>): Promise<string[]> {
    const found = await this.docker.listNetworks({ filters: { label: labelFilter(labels) } });
    return found.map((n) => n.Name).sort();
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    const found = await this.docker.listVolumes({ filters: { label: labelFilter(labels) } });
    return (found.Volumes ?? []).map((v) => v.Name).sort();
  }

  /** Removes every container, network and (unless `keepVolumes`) volume labelled with `project`. */
  async cleanupProject(project: string, opts: { keepVolumes?: boolean } = {}): Promise<void> {
    const labels = { [Label.project]: project };
    await Promise.all((await this.listContainers(labels)).map((c) => this.removeContainer(c.name, { force: true })));
    for (const n of await this.listNetworks(labels)) await this.removeNetwork(n);
    // Snapshots outlive `down`, not `down -v` (issue 20); first, as a copy helper a killed snapshot left holds project volumes.
    if (!opts.keepVolumes) await removeProjectSnapshots(this.docker, project);
    if (!opts.keepVolumes) for (const v of await this.listVolumes(labels)) await this.removeVolume(v);
  }

  // Container events (issue 14): the engine's own event stream.
  events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    return engineEvents(this.docker, labels, opts);
  }

  // Attached one-off runs (`stack run`).
  startAttached(name: string): Promise<ExitStatus> {
    return startAttached(this.docker, name, () => this.startContainer(name), () => this.waitContainer(name));
  }

  async close(): Promise<void> {
    // dockerode keeps no connection open between requests.
  }

  // Pause, processes and copies (`stack pause|unpause|top|cp`): see docker-container-ops.ts.
  pauseContainer(name: string): Promise<void> {
    return pauseContainer(this.docker, name);
  }
  unpauseContainer(name: string): Promise<void> {
    return unpauseContainer(this.docker, name);
  }
  top(name: string): Promise<ProcessTable> {
    return topOf(this.docker, name);
  }
  copyFromContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void> {
    return copyFrom(this.docker, name, src, dest, opts);
  }
  copyToContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void> {
    return copyTo(this.docker, name, src, dest, opts);
  }

  // Snapshots and resets (issue 20): `docker commit` and volume copies (snapshots/docker-snapshots.ts).
  private snapshotOps?: ReturnType<typeof dockerSnapshots>;
  private get snapshots(): ReturnType<typeof dockerSnapshots> {
    return (this.snapshotOps ??= dockerSnapshots(this.docker, (name) => this.removeContainer(name)));
  }
  snapshot(project: string, name: string, containers: string[], opts?: SnapshotOptions): Promise<SnapshotInfo> {
    return this.snapshots.snapshot(project, name, containers, opts);
  }
  listSnapshots(project: string): Promise<SnapshotInfo[]> {
    return this.snapshots.listSnapshots(project);
  }
  removeSnapshot(project: string, name: string): Promise<void> {
    return this.snapshots.removeSnapshot(project, name);
  }
  resetToSnapshot(project: string, name: string, containers: string[], opts?: ResetOptions): Promise<void> {
    return this.snapshots.resetToSnapshot(project, name, containers, opts);
  }
  /** Writes snapshot `name` to `file` as a docker-archive (`stack image save --snapshot`). Not part of `Runtime`. */
  saveSnapshot(project: string, name: string, file: string): Promise<string[]> {
    return this.snapshots.saveSnapshot(project, name, file);
  }
}

function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/** `since` as Docker takes it: seconds since the epoch, fractions allowed. */
function sinceSeconds(since: string | number): number {
  const ms = typeof since === 'number' ? since : Date.parse(since);
  return ms / 1000;
}

async function ignoringMissing(resource: string, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (isNotFound(err)) return;
    const message = engineMessage(err);
    throw new RuntimeError(resource, `${what}: ${statusOf(err) === 409 && !/in use/.test(message) ? `in use: ${message}` : message}`, { cause: err });
  }
}
