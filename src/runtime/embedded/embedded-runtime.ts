/**
 * The embedded runtime: containers run by hafen-run on the layered image store, in their own
 * namespaces and cgroups, wired to per-stack bridges, with published ports served by this instance.
 * Everything made on the host is in the project's ledger first, so `cleanupProject` removes it all,
 * even after the process that made it was SIGKILLed. State is kept per project under the root
 * (HAFEN_ROOT); containers are addressed by name and belong to the project of their labels.
 * The steps live in ./containers/; this class keeps them in order, one operation per container at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NoCgroupError, RuntimeError } from '../../errors.js';
import { isRootless } from './rootless/user-namespace.js';
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
  type Health,
  type ImageInfo,
  type LogLine,
  type LogOptions,
  type NetworkSpec,
  type Runtime,
  type VolumeSpec,
  type CopyOptions,
  type ProcessTable,
} from '../runtime.js';
import { openCgroup } from './cgroups/index.js';
import { freeze, isFrozen, thaw } from './cgroups/freezer.js';
import { copyIn, copyOut, restingFs, runningFs, type ContainerFs } from './containers/container-copy.js';
import { topOfCgroup, topOfProcessTree } from './containers/container-top.js';
import { containerLayers } from './snapshots/container-layers.js';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../snapshot-types.js';
import { takeSnapshot } from './snapshots/take-snapshot.js';
import { deleteDiscarded, resetToSnapshot } from './snapshots/reset-to-snapshot.js';
import { removeSnapshot } from './snapshots/snapshot-layers.js';
import { listSnapshotRecords, snapshotInfo } from './snapshots/snapshot-record.js';
import { cleanupProjectState } from './containers/cleanup-project.js';
import { ContainerFinder } from './containers/container-finder.js';
import { SCRATCH } from './containers/container-image.js';
import { execInContainer } from './containers/container-exec.js';
import { listRecords, readRecord, writeRecord, type ContainerRecord } from './containers/container-record.js';
import { signalContainer } from './containers/container-signals.js';
import { containerInfo, isOver, type Observed } from './containers/container-state.js';
import { killAndWait, observeLive, stopRunning, waitForEnd } from './containers/stop-container.js';
import { createContainer } from './containers/create-container.js';
import { finishContainer } from './containers/finish-container.js';
import { HealthMonitors } from './containers/health-monitor.js';
import { KeyedMutex } from './containers/keyed-mutex.js';
import { readLogs } from './containers/log-reader.js';
import * as networks from './containers/network-store.js';
import { containerHealthcheck, signalName, stopSignal } from './containers/process-spec.js';
import { removeContainerState } from './containers/remove-container.js';
import { RuntimeContext } from './containers/runtime-context.js';
import { cancelStart, completeStart, logFile, startContainer, type PreparedStart } from './containers/start-container.js';
import { PreparedStarts } from './containers/prepared-starts.js';
import * as volumes from './containers/volume-store.js';
import { EmbeddedImages } from './embedded-images.js';
import { ContainerEventHub } from '../event-hub.js';
import { appendEvent, readEventBacklog } from './event-log.js';
import type { BuilderEvent, BuildResult } from './builder/index.js';
import { HOST_IMAGE_NAME } from './builder/host-image-name.js';
import { parseImageSource } from './image-io/image-sources.js';
import { rememberedImport, rememberImport, sourceIdentity } from './image-io/import-memo.js';
import { traced } from '../../trace.js';
import { serveAttach } from './launcher/attach-helper.js';
import { Ipam, type PoolRange } from './network/index.js';
// Pulls, imports and builds load their modules when first used: the supervisor, which mostly
// waits on running containers, never does (issue 16: its memory).
import { containerPaths, projectDir } from './state/index.js';
import { defaultRoot, type StoredImage } from './store/index.js';

/** Options of an EmbeddedRuntime. */
export interface EmbeddedRuntimeOptions {
  /** State root (default HAFEN_ROOT or /var/lib/hafen). */
  root?: string;
  /** Debug log: "Creating …"/"Created …" lines and what each step did. */
  log?: (line: string) => void;
  /** Subnet pool of stack networks (default HAFEN_SUBNET_POOL or 10.89.0.0/16, 172.29.0.0/16 in /24s). */
  subnetPool?: readonly PoolRange[];
  /**
   * Launch each container as far as it goes without running its command as soon as it is created,
   * so its start only says `go` (prepared-starts.ts; the supervisor's, which outlives the wait).
   */
  prepareStarts?: boolean;
}

export class EmbeddedRuntime implements Runtime {
  readonly name = 'embedded' as const;
  readonly root: string;
  private readonly images: EmbeddedImages;
  private readonly ctx: RuntimeContext;
  private readonly log: (line: string) => void;
  private readonly monitors = new HealthMonitors();
  private readonly containers: ContainerFinder;
  private readonly mutex = new KeyedMutex();
  /** What happened to the containers this instance acted on (the supervisor's: all of its project's). */
  private readonly hub = new ContainerEventHub();
  /** Starts prepared at create time (options.prepareStarts). */
  private readonly prepared: PreparedStarts | undefined;

  constructor(options: EmbeddedRuntimeOptions = {}) {
    this.root = path.resolve(options.root ?? defaultRoot());
    this.log = options.log ?? (() => {});
    this.images = new EmbeddedImages(this.root);
    this.containers = new ContainerFinder(this.root);
    const ipam = new Ipam({ root: this.root, ...(options.subnetPool ? { pool: options.subnetPool } : {}) });
    this.ctx = new RuntimeContext(this.root, this.images.store, ipam, this.log);
    if (options.prepareStarts) this.prepared = new PreparedStarts(this.ctx, (name, fn) => this.mutex.run(name, fn));
  }

  // ---- Images ----

  async hasImage(ref: string): Promise<boolean> {
    return ref === HOST_IMAGE_NAME || ref === SCRATCH || this.images.has(ref);
  }

  /**
   * Pulls a registry reference (`busybox:1.36`, `host:5000/app@sha256:…`) over the OCI distribution
   * API, or imports `docker-archive:PATH[:NAME]` and `oci:PATH[:REF]`; either way tagged under the
   * reference as written (so `hasImage` and container create find it), and under its other names.
   */
  async pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    const source = parseImageSource(ref);
    if (source.kind === 'host' || source.kind === 'scratch') return;
    if (source.kind === 'registry') {
      this.log(`Pulling image ${ref}`);
      const [{ pullFromRegistry }, { ImageLimitError }] = await Promise.all([import('./registry/index.js'), import('./image-limits.js')]);
      try {
        const pulled = await pullFromRegistry(this.images.store, ref, { ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) });
        const id = pulled.image.manifest.config.digest;
        onProgress?.(`pulled ${id.slice(0, 19)}: ${pulled.downloadedBlobs} blob(s) downloaded (${pulled.downloadedBytes} bytes), ${pulled.reusedLayers} layer(s) already here`);
        this.log(`Pulled image ${ref} (${id})`);
      } catch (err) {
        this.log(`Pulling image ${ref} failed: ${(err as Error).message}`);
        if (signal?.aborted) throw signal.reason; // stopped by the caller: cancelled, not failed
        if (err instanceof ImageLimitError) throw err;
        if (await this.importFromLocalDocker(ref, err, onProgress, signal)) return;
        throw err;
      }
      return;
    }
    // An archive imported before and unchanged since is not read again (issue 16).
    const identity = source.kind === 'docker-archive' ? sourceIdentity(source.path) : undefined;
    const remembered = identity !== undefined ? rememberedImport(this.images.store.paths.root, ref, identity) : undefined;
    if (remembered !== undefined && this.images.store.images.resolve(ref) === remembered) {
      onProgress?.(`imported ${(this.images.store.images.get(remembered)?.manifest.config.digest ?? remembered).slice(0, 19)} (unchanged since its last import)`);
      return;
    }
    this.log(`Importing image ${ref}`);
    const options = { tag: ref, ...(source.ref !== undefined ? { ref: source.ref } : {}), ...(signal ? { signal } : {}) };
    let images: StoredImage[];
    const { importDockerArchive, importOciLayout } = await import('./image-io/index.js');
    try {
      images = source.kind === 'oci'
        ? await importOciLayout(this.images.store, source.path, options)
        : await importDockerArchive(this.images.store, source.path, options);
    } catch (err) {
      this.log(`Importing image ${ref} failed: ${(err as Error).message}`);
      throw signal?.aborted ? signal.reason : err; // stopped by the caller: cancelled, not failed
    }
    const id = images[0]?.manifest.config.digest ?? '?';
    if (identity !== undefined && images.length === 1 && this.images.store.images.resolve(ref) === images[0]!.manifestDigest) {
      rememberImport(this.images.store.paths.root, ref, identity, images[0]!.manifestDigest);
    }
    onProgress?.(`imported ${id.slice(0, 19)}`);
    this.log(`Imported image ${ref} (${id})`);
  }

  /**
   * When a registry cannot give `ref` (unreachable, unknown, refused; never a digest mismatch) and the
   * local Docker engine has it, it comes from there: what a Docker user has locally runs offline.
   */
  private async importFromLocalDocker(ref: string, cause: unknown, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<boolean> {
    const [{ RegistryError }, { dockerDaemonHasImage, localDockerSocket, saveFromDockerDaemon }, { importDockerArchive }] = await Promise.all([
      import('./registry/registry-error.js'),
      import('./image-io/docker-daemon.js'),
      import('./image-io/index.js'),
    ]);
    if (cause instanceof RegistryError && cause.reason === 'digest-mismatch') return false;
    const socket = localDockerSocket();
    if (!socket || !(await dockerDaemonHasImage(ref, socket))) return false;
    const file = path.join(this.images.store.paths.tmp, `docker-${process.pid}-${Date.now()}.tar`);
    try {
      onProgress?.(`not from the registry (${cause instanceof Error ? cause.message : String(cause)}); taking it from the local Docker engine`);
      await saveFromDockerDaemon(ref, socket, file);
      const [image] = await importDockerArchive(this.images.store, file, { tag: ref, ...(signal ? { signal } : {}) });
      onProgress?.(`imported ${image?.manifest.config.digest.slice(0, 19) ?? '?'} from the local Docker engine`);
      this.log(`Imported image ${ref} from the local Docker engine at ${socket}`);
      return true;
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  async buildImage(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo> {
    const result = await this.build(spec, onEvent, signal);
    const info = this.images.list().find((i) => i.id === result.image.manifest.config.digest && i.name === result.image.name);
    return info ?? { name: spec.tag, id: result.image.manifest.config.digest, size: 0 };
  }

  /** A build with what it did (steps cached and run, warnings), for `stack build`. */
  async build(spec: BuildSpec, onEvent?: (e: BuilderEvent | BuildEvent) => void, signal?: AbortSignal): Promise<BuildResult> {
    // `pull: true`: every base image is pulled again (an archive imported again), even when present.
    const pull = spec.pull
      ? async (ref: string) => {
          await this.pullImage(ref, undefined, signal);
          return this.images.store.images.get(ref);
        }
      : undefined;
    return this.images.build(spec, onEvent, signal, pull);
  }

  async listImages(): Promise<ImageInfo[]> {
    return this.images.list();
  }

  async removeImage(ref: string): Promise<void> {
    this.images.remove(ref);
  }

  // ---- Networks and volumes ----

  async createNetwork(spec: NetworkSpec): Promise<void> {
    const project = this.projectLabel(`network ${spec.name}`, spec.labels);
    await networks.createNetwork(this.ctx, project, spec);
  }

  async removeNetwork(name: string): Promise<void> {
    // A stop returns before its container left its networks (its veths go in the release after it):
    // a `down` removes a network once its containers stopped (plan-down.ts, networksAfterStops).
    // The bridge goes while those releases wait for the kernel to take the dead namespaces' veths
    // away, not after them: the two teardowns overlap in the kernel (issue 16, measured: about a
    // third less for five containers), and this resolves once both are done, as before.
    await Promise.all([this.settled(), networks.removeUnusedNetwork(this.ctx, name)]);
  }

  async listNetworks(labels: Record<string, string>): Promise<string[]> {
    return networks.listNetworks(this.root, labels).map((n) => n.name);
  }

  async createVolume(spec: VolumeSpec): Promise<void> {
    const project = this.projectLabel(`volume ${spec.name}`, spec.labels);
    this.log(`Creating volume ${spec.name}`);
    volumes.createVolume(this.root, project, spec);
  }

  async removeVolume(name: string): Promise<void> {
    this.log(`Removing volume ${name}`);
    volumes.removeUnusedVolume(this.root, name);
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    return volumes.listVolumes(this.root, labels).map((v) => v.name);
  }

  private projectLabel(resource: string, labels: Record<string, string>): string {
    const project = labels[Label.project];
    if (!project) throw new RuntimeError(resource, `has no ${Label.project} label; the embedded runtime keeps it by project`);
    projectDir(this.root, project); // checks the name
    return project;
  }

  // ---- Containers ----

  private find(name: string): ContainerRecord | undefined {
    return this.containers.find(name);
  }

  private require(name: string): ContainerRecord {
    return this.containers.require(name);
  }

  /** The report of a container: `paused` while its running processes are frozen. */
  private info(record: ContainerRecord, observed: Observed): ContainerInfo {
    const info = containerInfo(record, observed);
    return info.state === 'running' && this.frozen(record) ? { ...info, state: 'paused' } : info;
  }

  private cgroupName(record: ContainerRecord): string {
    return `hafen/${record.project}/${record.name}`;
  }

  private frozen(record: ContainerRecord): boolean {
    return isFrozen(this.ctx.cgroupLayout(), this.cgroupName(record));
  }

  private observe(record: ContainerRecord): Observed {
    return observeLive(this.root, record);
  }

  /** With the container's lock held: when its command has ended, releases what it held. */
  private async settleLocked(name: string, opts: { stopRequested?: boolean } = {}): Promise<{ record: ContainerRecord; observed: Observed }> {
    let record = this.require(name);
    let observed = this.observe(record);
    if (record.state === 'running' && isOver(observed)) {
      this.monitors.stop(name);
      record = await finishContainer(this.ctx, record, observed, opts);
      observed = this.observe(record);
      if (observed.oomKilled) this.tell('oom', record);
      this.tell('die', record, { exitCode: observed.exitCode ?? 0 });
    }
    return { record, observed };
  }

  private async current(name: string): Promise<{ record: ContainerRecord; observed: Observed } | undefined> {
    const record = this.find(name);
    if (!record) return undefined;
    const observed = this.observe(record);
    if (record.state === 'running' && isOver(observed)) return this.mutex.run(name, () => this.settleLocked(name));
    return { record, observed };
  }

  /** Like current(), throwing `no such container` when there is none. */
  private async present(name: string): Promise<{ record: ContainerRecord; observed: Observed }> {
    return (await this.current(name)) ?? this.mutex.run(name, () => this.settleLocked(name));
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    return this.mutex.run(spec.name, async () => {
      const record = await createContainer(this.ctx, spec);
      this.containers.remember(spec.name, record.project);
      this.prepared?.begin(record);
      this.tell('create', record);
      return this.info(record, this.observe(record));
    });
  }

  /** `attach` (not part of `Runtime`): the socket of a CLI's attach helper, whose stdio the command gets (startWithAttach). */
  async startContainer(name: string, attach?: string): Promise<ContainerInfo> {
    return this.mutex.run(name, async () => {
      const { record, observed } = await this.settleLocked(name);
      const prepared = await this.prepared?.take(record); // dropped when the record is not the created one it was made from
      if (observed.state === 'running') return this.info(record, observed);
      const running = prepared ? await this.startPrepared(prepared, attach) : await startContainer(this.ctx, record, attach);
      this.tell('start', running);
      this.watchHealth(running);
      return this.info(running, { state: 'running', oomKilled: false });
    });
  }

  /** Completes a prepared start; one whose launcher ended while it waited is dropped and the start made afresh. */
  private async startPrepared(prepared: PreparedStart, attach?: string): Promise<ContainerRecord> {
    const failed = await prepared.launched.setupFailure(0);
    if (!failed) return completeStart(this.ctx, prepared, attach);
    this.log(`The prepared start of container ${prepared.record.name} ended while it waited (${failed.message}); starting it afresh`);
    await cancelStart(this.ctx, prepared);
    return startContainer(this.ctx, prepared.record, attach);
  }

  /**
   * Takes over a container another instance started (a supervisor that died): its published ports
   * are served again on the same host ports, and its healthcheck runs here. Not part of `Runtime`.
   */
  async adopt(name: string): Promise<ContainerInfo | undefined> {
    return this.mutex.run(name, async () => {
      await this.prepared?.drop(name);
      const { record, observed } = await this.settleLocked(name);
      if (observed.state !== 'running') return this.info(record, observed);
      if (record.ports.length > 0 && record.networks.length > 0) {
        const target = record.networks[0]!.address;
        await this.ctx.proxies(record.project).start(
          record.ports.map((p) => ({
            service: record.spec.labels[Label.service] ?? name,
            container: name,
            protocol: p.protocol,
            hostIp: p.hostIp,
            hostPort: p.hostPort,
            targetIp: target,
            targetPort: p.target,
          })),
        );
      }
      this.watchHealth(record);
      this.log(`Adopted container ${name}`);
      return this.info(record, observed);
    });
  }

  /** Runs the container's healthcheck while this instance lives, writing each change of health to its record. */
  private watchHealth(record: ContainerRecord): void {
    const check = containerHealthcheck(record.spec, record.image.config);
    const { name, run } = record;
    if (!check || !run) return;
    const exec = async (argv: string[], timeoutMs: number) => {
      // A probe would freeze with a paused container: it fails at once instead, as Docker's exec into a paused container does.
      if (this.frozen(record)) throw new RuntimeError(`container ${name}`, 'is paused');
      return (await traced('healthcheck', name, () => execInContainer(name, run, { command: argv }, timeoutMs))).exitCode;
    };
    const save = (health: Health): Promise<void> =>
      this.mutex.run(name, async () => {
        const now = this.find(name);
        if (now?.state === 'running' && now.run?.pid === run.pid && now.health !== health) {
          writeRecord(this.root, { ...now, health });
          this.tell('health_status', now, { health });
        }
      });
    this.monitors.start(name, check, exec, (health) => void save(health).catch((err: Error) => this.log(`Recording the health of ${name} failed: ${err.message}`)));
  }

  /**
   * Resolves once the container's processes have exited. What it held on the host (veths, cgroup,
   * ports, its record's `exited`) is released right after, under its lock: whatever comes next for
   * this container (remove, start, inspect) waits for that, but a `down` stopping a chain in
   * reverse order goes on to the next stop at the speed of exits, not of teardowns (issue 16).
   */
  async stopContainer(name: string, opts: { timeout?: number } = {}): Promise<void> {
    await this.mutex.run(name, async () => {
      const { record, observed } = await this.settleLocked(name);
      if (observed.state !== 'running') return;
      await traced('stop: signal and wait', name, () => stopRunning(this.ctx, record, opts.timeout));
      // Queued behind this call on the lock, so it runs before anything asked of the container later.
      this.track(
        this.mutex.run(name, async () => {
          await traced('stop: release', name, () => this.settleLocked(name, { stopRequested: true }));
          this.markStopRequested(name);
          this.tell('stop', record);
          this.log(`Stopped container ${name}`);
        }),
        `Releasing what container ${name} held after its stop`,
      );
    });
  }

  /** Releases begun by stops that have not finished yet; close() waits for them. */
  private readonly releasing = new Set<Promise<void>>();

  /** Keeps `work` until it settles; a failure is logged (the next call on the container settles it again). */
  private track(work: Promise<void>, what: string): void {
    const kept: Promise<void> = work.catch((err: Error) => this.log(`${what} failed: ${err.message}`)).finally(() => this.releasing.delete(kept));
    this.releasing.add(kept);
  }

  /** Resolves once every release begun by a stop has finished (stop returns before them). */
  async settled(): Promise<void> {
    while (this.releasing.size > 0) await Promise.all([...this.releasing]);
  }

  async killContainer(name: string, signal = 'SIGKILL'): Promise<void> {
    await this.mutex.run(name, async () => {
      await this.prepared?.drop(name);
      const { record, observed } = await this.settleLocked(name);
      if (observed.state !== 'running' || !record.run) throw new RuntimeError(`container ${name}`, 'is not running');
      const sig = signalName(signal, name);
      this.log(`Sending ${sig} to container ${name}`);
      this.tell('kill', record, { signal: sig });
      if (sig !== 'SIGKILL') {
        signalContainer(record.run, sig);
        // The stop signal ends a paused container (thawed to take it), as Docker does; others wait for unpause.
        if (sig === stopSignal(record.spec, record.image.config)) thaw(this.ctx.cgroupLayout(), this.cgroupName(record));
        return;
      }
      await killAndWait(this.root, record);
      await this.settleLocked(name, { stopRequested: true });
      this.markStopRequested(name);
    });
  }

  /** Counts one restart by the container's restart policy on its record (the supervisor's count outlives it). Not part of `Runtime`. */
  async countRestart(name: string): Promise<number> {
    return this.mutex.run(name, async () => {
      const now = this.require(name);
      const restarts = (now.restarts ?? 0) + 1;
      writeRecord(this.root, { ...now, restarts });
      return restarts;
    });
  }

  /** Notes that a container ended because it was asked to (so `up` starts it again, unlike a finished one-shot). */
  private markStopRequested(name: string): void {
    const now = this.find(name);
    // Usually written with the record's `exited` already (one write less per stop: issue 16).
    if (now && now.state !== 'running' && !now.stopRequested) writeRecord(this.root, { ...now, stopRequested: true });
  }

  async removeContainer(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.mutex.run(name, async () => {
      await this.prepared?.drop(name);
      let { record, observed } = await this.settleLocked(name);
      if (observed.state === 'running') {
        if (!opts.force) throw new RuntimeError(`container ${name}`, 'is running; stop it first, or remove it with force');
        await killAndWait(this.root, record);
        ({ record, observed } = await this.settleLocked(name));
      }
      this.monitors.stop(name);
      await removeContainerState(this.ctx, record);
      this.containers.forget(name);
      this.tell('destroy', record);
    });
  }

  async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    const now = await this.current(name);
    return now && this.info(now.record, now.observed);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const out: ContainerInfo[] = [];
    for (const r of listRecords(this.root).filter((r) => volumes.hasLabels(r.spec.labels, labels))) {
      this.containers.remember(r.name, r.project);
      const now = await this.current(r.name).catch(() => undefined); // removed meanwhile
      if (now) out.push(this.info(now.record, now.observed));
    }
    return out;
  }

  async waitContainer(name: string, signal?: AbortSignal): Promise<ExitStatus> {
    const record = this.require(name);
    await waitForEnd(this.root, record, signal);
    const { observed } = await this.mutex.run(name, () => this.settleLocked(name));
    return { exitCode: observed.exitCode ?? 0, oomKilled: observed.oomKilled };
  }

  async *logs(name: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const record = this.require(name);
    const paths = containerPaths(this.root, record.project, name);
    const running = (): boolean => {
      const now = readRecord(this.root, record.project, name);
      return now?.state === 'running' && !isOver(this.observe(now));
    };
    yield* readLogs({ file: logFile(paths), running }, opts);
  }

  async exec(name: string, opts: ExecOptions): Promise<ExecResult> {
    const now = await this.present(name);
    if (now.observed.state !== 'running' || !now.record.run) throw new RuntimeError(`container ${name}`, 'is not running');
    if (this.frozen(now.record)) throw new RuntimeError(`container ${name}`, 'is paused; unpause it first (`stack unpause`)');
    return execInContainer(name, now.record.run, opts);
  }

  async stats(name: string): Promise<ContainerStats> {
    const now = await this.present(name);
    if (now.observed.state !== 'running') return { cpuNanos: 0, memoryBytes: 0, pids: 0 };
    this.assertCgroup(now.record, 'show its stats'); // issue 17
    const s = openCgroup(`hafen/${now.record.project}/${name}`, { layout: this.ctx.cgroupLayout() }).stats();
    return { cpuNanos: s.cpuNs ?? 0, memoryBytes: s.memoryUsage ?? 0, ...(s.memoryLimit !== undefined ? { memoryLimit: s.memoryLimit } : {}), pids: s.pids ?? 0 };
  }

  // ---- Container events ----

  /** The events of what this instance does (no other process's: a supervisor serves its own to the CLI). */
  events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    return this.hub.follow(labels, opts);
  }

  /** Takes the project's past events from its event log into this instance's backlog (a new supervisor's, for `since`). */
  rememberEvents(project: string): void {
    this.hub.remember(readEventBacklog(this.root, project));
  }

  private tell(action: ContainerEventAction, record: ContainerRecord, extra: Partial<ContainerEvent> = {}): void {
    const event: ContainerEvent = { time: new Date().toISOString(), action, id: record.id, name: record.name, image: record.spec.image, labels: record.spec.labels, ...extra };
    appendEvent(this.root, record.project, event); // for followers whoever made it, and the next supervisor (event-log.ts)
    this.hub.emit(event);
  }

  // ---- Pause, processes and copies (`stack pause|unpause|top|cp`) ----

  async pauseContainer(name: string): Promise<void> {
    await this.mutex.run(name, async () => {
      const { record, observed } = await this.settleLocked(name);
      if (observed.state !== 'running') throw new RuntimeError(`container ${name}`, 'is not running');
      this.assertCgroup(record, 'pause it'); // issue 17
      if (this.frozen(record)) throw new RuntimeError(`container ${name}`, 'is already paused');
      this.log(`Pausing container ${name}`);
      await freeze(this.ctx.cgroupLayout(), this.cgroupName(record)).catch((err: Error) => {
        throw new RuntimeError(`container ${name}`, `cannot pause: ${err.message}`, { cause: err });
      });
      this.tell('pause', record);
    });
  }

  async unpauseContainer(name: string): Promise<void> {
    await this.mutex.run(name, async () => {
      const { record, observed } = await this.settleLocked(name);
      if (observed.state === 'running') this.assertCgroup(record, 'unpause it'); // issue 17
      if (observed.state !== 'running' || !this.frozen(record)) throw new RuntimeError(`container ${name}`, 'is not paused');
      this.log(`Unpausing container ${name}`);
      thaw(this.ctx.cgroupLayout(), this.cgroupName(record));
      this.tell('unpause', record);
    });
  }

  /** A running container of a user without root that was given no cgroup (none delegated): what needs one is refused, saying why (issue 17). */
  private assertCgroup(record: ContainerRecord, what: string): void {
    if (record.run && record.run.process.cgroups.length === 0 && isRootless()) throw new NoCgroupError(record.name, what);
  }

  async top(name: string): Promise<ProcessTable> {
    const { record, observed } = await this.present(name);
    const dir = record.run?.process.cgroups[0];
    if (observed.state !== 'running' || !record.run) throw new RuntimeError(`container ${name}`, 'is not running');
    return dir ? topOfCgroup(dir) : topOfProcessTree(record.run.pid); // no cgroup: rootless without a delegated one
  }

  async copyFromContainer(name: string, src: string, dest: string, opts: CopyOptions = {}): Promise<void> {
    await this.withContainerFs(name, (c) => copyOut(c, src, dest, opts, (rel) => this.log(`Copy from ${name}: skipped ${rel} (not a file, folder or symlink)`)));
  }

  async copyToContainer(name: string, src: string, dest: string, opts: CopyOptions = {}): Promise<void> {
    await this.withContainerFs(name, (c) => copyIn(c, src, dest, opts, (rel) => this.log(`Copy into ${name}: skipped ${rel} (not a file, folder or symlink)`)));
  }

  /**
   * Runs `fn` on the container's filesystem with its lock held: a running one frozen meanwhile (and
   * thawed after, unless it was paused already), one that is not running through its layers.
   */
  private async withContainerFs(name: string, fn: (c: ContainerFs) => Promise<void>): Promise<void> {
    await this.mutex.run(name, async () => {
      await this.prepared?.drop(name); // its files change before the start: mounted beforehand, they might not be seen
      const { record, observed } = await this.settleLocked(name);
      const resource = `container ${name}`;
      const readOnly = record.spec.readOnly;
      if (observed.state === 'running' && record.run) {
        const cgroup = this.cgroupName(record);
        const layout = this.ctx.cgroupLayout();
        // Held still unless paused already; without a cgroup of its own (rootless with none
        // delegated) nothing can freeze it, and the copy runs beside it, as `docker cp` always does.
        const hold = record.run.process.cgroups.length > 0 && !this.frozen(record);
        if (hold) await freeze(layout, cgroup).catch((err: Error) => {
          throw new RuntimeError(resource, `cannot hold it still for the copy: ${err.message}`, { cause: err });
        });
        try {
          await fn(runningFs(resource, record.run.pid, readOnly));
        } finally {
          if (hold) thaw(layout, cgroup);
        }
        return;
      }
      const paths = containerPaths(this.root, record.project, name);
      const layers = containerLayers(this.ctx.store, record, path.join(paths.dir, 'empty'), this.ctx.cache.layers);
      const mounts = [...record.binds.map((b) => b.target), ...record.tmpfs.map((t) => t.target), ...layers.hostReadOnly, '/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];
      await fn(restingFs(resource, paths.upper, layers.lower, readOnly, mounts));
    });
  }

  // ---- Snapshots and resets (issue 20, ./snapshots/) ----

  /** Runs `fn` with the locks of every container of `names` held (taken in name order, so two callers never deadlock) and each settled. */
  private async withSettled<T>(names: string[], fn: (now: { record: ContainerRecord; observed: Observed }[]) => Promise<T>): Promise<T> {
    const order = [...new Set(names)].sort();
    const held: { record: ContainerRecord; observed: Observed }[] = [];
    const step = async (i: number): Promise<T> => {
      if (i === order.length) return fn(names.map((n) => held[order.indexOf(n)]!));
      return this.mutex.run(order[i]!, async () => {
        await this.prepared?.drop(order[i]!); // a start prepared on the old layers would mount them
        held[i] = await this.settleLocked(order[i]!);
        return step(i + 1);
      });
    };
    return step(0);
  }

  async snapshot(project: string, name: string, containers: string[], opts: SnapshotOptions = {}): Promise<SnapshotInfo> {
    return this.withSettled(containers, async (now) => {
      const states = new Map(now.map((n) => [n.record.name, n.observed.state]));
      const layout = this.ctx.cgroupLayout();
      return takeSnapshot(this.ctx, project, name, now.map((n) => n.record), {
        running: (r) => states.get(r.name) === 'running',
        freeze: async (r) => {
          if (this.frozen(r)) return false; // paused already: it stays so
          if ((r.run?.process.cgroups.length ?? 0) === 0) {
            this.log(`container ${r.name} has no cgroup to freeze; its layer is copied while it runs`);
            return false;
          }
          await freeze(layout, this.cgroupName(r)).catch((err: Error) => {
            throw new RuntimeError(`container ${r.name}`, `cannot hold it still for the snapshot: ${err.message}`, { cause: err });
          });
          return true;
        },
        thaw: (r) => thaw(layout, this.cgroupName(r)),
      }, opts);
    });
  }

  async listSnapshots(project: string): Promise<SnapshotInfo[]> {
    return listSnapshotRecords(this.root, project).map(snapshotInfo);
  }

  async removeSnapshot(project: string, name: string): Promise<void> {
    removeSnapshot(this.ctx, project, name);
  }

  async resetToSnapshot(project: string, name: string, containers: string[], opts: ResetOptions = {}): Promise<void> {
    await this.withSettled(containers, async (now) => {
      const states = new Map(now.map((n) => [n.record.name, n.observed.state]));
      const gone = await resetToSnapshot(this.ctx, project, name, now.map((n) => n.record), (r) => (states.get(r.name) ?? this.observe(r).state) === 'running', opts);
      // Deleted while the services start (a reset's cost must not grow with the data it drops); `down` and close() wait for it.
      this.track(deleteDiscarded(gone), `Deleting the layers reset ${name} discarded`);
    });
  }

  // ---- Projects ----

  /** Drops the prepared starts (of `project`, or all), each under its container's lock. */
  private async dropPrepared(project?: string): Promise<void> {
    const prepared = this.prepared;
    if (!prepared) return;
    await Promise.all(prepared.names(project).map((name) => this.mutex.run(name, () => prepared.drop(name))));
  }

  /**
   * Removes everything of `project` the ledger names (processes, veths, bridges, firewall rules,
   * cgroups, folders), gives its subnets back and deletes its state; named volumes stay when
   * `keepVolumes`. Works after the process that made them was killed. Not part of `Runtime`.
   */
  async cleanupProject(project: string, opts: { keepVolumes?: boolean } = {}): Promise<void> {
    await this.dropPrepared(project);
    await this.settled(); // a release still running would race the sweep
    for (const name of this.containers.forgetProject(project)) this.monitors.stop(name);
    await this.ctx.release(project); // its port proxies
    await cleanupProjectState(this.ctx, project, opts.keepVolumes ?? false);
    await this.ctx.release(project); // the ledger handle the cleanup opened
  }

  // Attached one-off runs (`stack run`, run-attach).
  /** Starts `name` with this process's stdio attached (a helper hands it to the launcher) and waits for its end. */
  async startAttached(name: string): Promise<ExitStatus> {
    const helper = await serveAttach();
    try {
      await this.startWithAttach(name, helper.socket);
      return await this.waitContainer(name);
    } finally {
      await helper.close();
    }
  }

  /** Starts `name` with the stdio of the attach helper listening at `socket` (the supervisor's side of startAttached). Not part of `Runtime`. */
  startWithAttach(name: string, socket: string): Promise<ContainerInfo> {
    return this.startContainer(name, socket);
  }

  async close(): Promise<void> {
    await this.dropPrepared();
    await this.settled();
    this.monitors.stopAll();
    await this.ctx.release();
  }
}
