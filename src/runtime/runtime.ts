/**
 * The one interface every container runtime implements (embedded, docker), and the conformance
 * suite in e2e/ tests. A runtime knows nothing of stacks beyond the labels and names it is handed:
 * the executor turns plan operations into these calls.
 */
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from './snapshot-types.js';
import type { BlkioConfig, Bytes, Healthcheck, Logging, Millis, PortMapping, Protocol, Resources, RuntimeName, Sensitive, BindPropagation } from '../config/model.js';

/** Labels every resource carries, so observed state is read back from the runtime. */
export const Label = {
  project: 'io.hafen.project',
  service: 'io.hafen.service',
  instance: 'io.hafen.instance',
  configHash: 'io.hafen.config-hash',
  oneOff: 'io.hafen.one-off',
  /** The restart policy as compose writes it (`on-failure:3`); the supervisor applies it. */
  restart: 'io.hafen.restart',
  /** The stack files the container was made from, comma-separated (Compose's `config_files`), for `stack ls`. */
  configFiles: 'io.hafen.config-files',
} as const;

export type Mount =
  | { type: 'volume'; source: string; target: string; readOnly: boolean }
  | { type: 'bind'; source: string; target: string; readOnly: boolean; propagation?: BindPropagation }
  | { type: 'tmpfs'; target: string; size?: Bytes; mode?: number };

/** Everything needed to create one container. */
export interface ContainerSpec {
  /** Unique name, e.g. `shop-api-1`. */
  name: string;
  image: string;
  /**
   * Replace the image's entrypoint / cmd when given, by Docker's rules: an entrypoint that is
   * given and not empty drops the image's cmd; an empty one (`[]`) clears the image's entrypoint
   * and keeps its cmd unless a command is given; an empty command keeps the image's cmd.
   */
  entrypoint?: string[];
  command?: string[];
  env: Record<string, string>;
  workingDir?: string;
  user?: string;
  hostname: string;
  labels: Record<string, string>;
  mounts: Mount[];
  /** Networks by runtime name, with the names this container answers to on each. */
  networks: { name: string; aliases: string[]; ipv4Address?: string; ipv6Address?: string; macAddress?: string }[];
  /** Names this container gives other services' containers (compose `links: [db:database]`), on the networks they share. */
  links?: { service: string; alias: string }[];
  /** Containers outside the stack linked by `NAME` or `NAME:ALIAS` (Docker's legacy links; Docker only). */
  externalLinks?: string[];
  /** Extra /etc/hosts lines: name → address. */
  extraHosts: Record<string, string>;
  ports: PortMapping[];
  resources: Resources;
  healthcheck?: Healthcheck;
  stopSignal: string;
  stopGracePeriod: Millis;
  tty: boolean;
  stdinOpen: boolean;
  readOnly: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  // Process and confinement: each absent when the service leaves it to the runtime's default.
  /** Run the runtime's init as PID 1 (the embedded runtime always does). */
  init?: boolean;
  /** rlimits by name (`nofile`); -1 is unlimited. */
  ulimits?: Record<string, { soft: number; hard: number }>;
  /** Size of /dev/shm. */
  shmSize?: Bytes;
  /** Namespaced sysctls (net.*, kernel.shm*, …). */
  sysctls?: Record<string, string>;
  ipc?: NamespaceMode;
  pid?: NamespaceMode;
  uts?: 'host';
  devices?: { source: string; target: string; permissions: string }[];
  /** Device cgroup rules as written (`c 1:3 mr`), each allowing on top of the default device set. */
  deviceCgroupRules?: string[];
  /** As written (`no-new-privileges:false`, `seccomp=unconfined`, `label=disable`, …). */
  securityOpt?: string[];
  /** Group names (the image's /etc/group) or numbers. */
  groupAdd?: string[];
  oomScoreAdj?: number;
  /** cgroup settings beyond `resources` (Compose's flat keys). */
  cgroup?: CgroupTuning;
  usernsMode?: string;
  storageOpt?: Record<string, string>;
  // Networking beyond the stack's networks (Compose's network_mode, dns*, domainname, mac_address).
  /** A network namespace instead of `networks` (which is then empty). */
  networkMode?: ContainerNetworkMode;
  /** /etc/resolv.conf: name servers, search domains, options. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  domainname?: string;
  // Compose secrets/configs, logging, annotations, OCI runtime, reservations, platform.
  /** Secret and config files, read-only in the container (see ContainerFile). */
  files?: ContainerFile[];
  /** `logging:` as written; absent: the runtime's default (rotated files on embedded). */
  logging?: Logging;
  annotations?: Record<string, string>;
  /** OCI runtime name (Docker's `--runtime`). */
  ociRuntime?: string;
  /** Soft memory limit (`deploy.resources.reservations.memory`). */
  memoryReservation?: Bytes;
  /** Device requests (`deploy.resources.reservations.devices`), as Compose writes them. */
  deviceRequests?: Record<string, unknown>[];
  /** Image platform, e.g. `linux/amd64`. */
  platform?: string;
  // Attached one-off runs (`stack run`).
  /** The container's stdin ends for good when an attached client's stdin ends (Docker's StdinOnce; the embedded runtime always does so). */
  stdinOnce?: boolean;
}

/** A namespace of the container: its own (`private`, or `shareable` by others), the host's, another container's by name; `none`: IPC without /dev/shm (Docker). */
export type NamespaceMode = 'private' | 'shareable' | 'host' | 'none' | { container: string };

/** Compose's cgroup keys beyond memory/cpus/pids limits. */
export interface CgroupTuning {
  memSwappiness?: number;
  /** Memory plus swap in bytes; -1 unlimited. */
  memswapLimit?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuset?: string;
  parent?: string;
  blkio?: BlkioConfig;
  cpuCount?: number;
  cpuPercent?: number;
}

/**
 * A Compose secret or config as a file in the container: a host file, or data hafen holds (an
 * environment variable's value, inline content). Owner and mode default to 0:0 and 0444, as
 * docker compose gives them; a host file without uid, gid or mode is bound as it is.
 */
export interface ContainerFile {
  /** `secret db_password`, for messages (never the data). */
  what: string;
  /** Absolute path in the container. */
  target: string;
  source: { kind: 'file'; path: string } | { kind: 'data'; data: Sensitive };
  uid?: number;
  gid?: number;
  mode?: number;
}

/** The host's network, loopback only, or the namespace of another container (by its runtime name). */
export type ContainerNetworkMode = { kind: 'host' } | { kind: 'none' } | { kind: 'container'; container: string };

/** `paused`: running, with every process frozen (`stack pause`); it still counts as running for start, stop and down. */
export type ContainerState = 'created' | 'running' | 'paused' | 'exited' | 'dead';
export type Health = 'none' | 'starting' | 'healthy' | 'unhealthy';

/** A published port as bound on the host. */
export interface PortBinding {
  target: number;
  protocol: Protocol;
  hostIp: string;
  hostPort: number;
}

/** What a runtime reports of one container. */
export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  /** ID of the image it was made from (as `listImages` reports image IDs), when known. */
  imageId?: string;
  labels: Record<string, string>;
  state: ContainerState;
  health: Health;
  exitCode?: number;
  oomKilled: boolean;
  /** ISO times. */
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  ports: PortBinding[];
  /** Address on each network, by network name. */
  addresses: Record<string, string>;
  /** Where the container runs: `embedded`, or a Docker engine's ship name / address. */
  host: string;
  /** It ended because a stop or kill was asked for, not by itself (a finished one-shot has not). */
  stopRequested?: boolean;
  /** Restarts by its restart policy (as far as the runtime or supervisor counted). */
  restartCount?: number;
  // `ps --format` (Compose's fields).
  /** The process it runs (entrypoint and arguments), when known. */
  command?: string[];
}

export interface NetworkSpec {
  name: string;
  labels: Record<string, string>;
  subnet?: string;
  internal: boolean;
  // Compose's further network keys.
  /** Every address pool (the first one's subnet is `subnet`). */
  ipam?: { subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }[];
  driverOpts?: Record<string, string>;
  attachable?: boolean;
  enableIpv6?: boolean;
}

export interface VolumeSpec {
  name: string;
  labels: Record<string, string>;
  /** The local driver's options (`type`, `o`, `device`). */
  driverOpts?: Record<string, string>;
}

/** One log line of a container. */
export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface LogOptions {
  follow?: boolean;
  /** Last N lines. */
  tail?: number;
  /** ISO time or epoch ms. */
  since?: string | number;
  signal?: AbortSignal;
  /** Only lines up to this ISO time or epoch ms (`logs --until`); a follow ends there. */
  until?: string | number;
}

export interface ExecOptions {
  command: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  /** Attach the caller's terminal (interactive); otherwise output is captured. */
  interactive?: boolean;
  tty?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ContainerStats {
  cpuNanos: number;
  memoryBytes: number;
  memoryLimit?: number;
  pids: number;
}

export interface ExitStatus {
  exitCode: number;
  oomKilled: boolean;
}

export interface BuildSpec {
  contextDir: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  tag: string;
  noCache: boolean;
  labels: Record<string, string>;
  // Compose's other build keys (issue 12), each absent when not asked for; what a runtime cannot
  // do is refused before the build by the planner (src/planner/build-support.ts).
  /** The Dockerfile's text: `dockerfile` is then only the name it goes by. */
  dockerfileInline?: string;
  /** A git (or tarball) URL the engine fetches itself; `contextDir` is then unused. */
  remoteContext?: string;
  /** Named contexts for FROM and COPY --from: an absolute folder, or `docker-image://REF`. */
  namedContexts?: Record<string, string>;
  /** Network of RUN steps: `default`, `host`, `none` (Docker: also a network's name). */
  network?: string;
  /** Extra /etc/hosts entries of RUN steps: host → address. */
  extraHosts?: Record<string, string>;
  /** Secrets RUN steps may mount (`RUN --mount=type=secret,id=…`). */
  secrets?: BuildSecretSource[];
  /** SSH agents RUN steps may use (`RUN --mount=type=ssh,id=…`): id → agent socket path, or undefined for SSH_AUTH_SOCK's (`default`). */
  ssh?: { id: string; path?: string }[];
  /** Images whose layers may serve as cache. */
  cacheFrom?: string[];
  /** Pull base images even when present. */
  pull?: boolean;
  /** More names for the built image. */
  extraTags?: string[];
  shmSize?: Bytes;
  ulimits?: Record<string, { soft: number; hard: number }>;
  /** `os/arch[/variant]` to build for. */
  platform?: string;
}

/** Where a build secret's value is read from at build time: a file, or an environment variable of the hafen process. Never the value itself. */
export interface BuildSecretSource {
  id: string;
  file?: string;
  env?: string;
  /** Issue 19: the value's bytes (base64), held hidden, as a remote build's secret arrived over the ssh channel (no `file` or `env` then). */
  value?: Sensitive;
  /** Defaults of the mounted file's owner and mode. */
  uid?: number;
  gid?: number;
  mode?: number;
}

/** Build progress as the CLI shows it. */
export type BuildEvent =
  | { kind: 'step-start'; index: number; total: number; text: string; cached: boolean }
  | { kind: 'step-done'; index: number; ms: number }
  | { kind: 'output'; line: string };

export interface ImageInfo {
  name: string;
  id: string;
  size: Bytes;
  createdAt?: string;
}

// Container events (issue 14: `stack events`, the dashboard): what happened to a container, as it happened.
/** What happened to a container; the names are Docker's (`health_status` carries the new health apart). */
export const CONTAINER_EVENT_ACTIONS = ['create', 'start', 'health_status', 'kill', 'die', 'oom', 'stop', 'pause', 'unpause', 'restart', 'destroy'] as const;
export type ContainerEventAction = (typeof CONTAINER_EVENT_ACTIONS)[number];

/** One thing that happened to one container. */
export interface ContainerEvent {
  /** ISO time, millisecond precision (or finer where the runtime has it). */
  time: string;
  action: ContainerEventAction;
  /** The runtime's container id. */
  id: string;
  /** The runtime's container name, e.g. `shop-api-1`. */
  name: string;
  image?: string;
  /** The container's labels (the project's and service's among them). */
  labels: Record<string, string>;
  /** `die`: the exit code. */
  exitCode?: number;
  /** `health_status`: the new health. */
  health?: Health;
  /** `kill`: the signal sent. */
  signal?: string;
}

/** Which events to follow: those of containers carrying all of `labels`, from `since` (ISO or epoch ms; default: now) until `signal` aborts. */
export interface EventOptions {
  signal: AbortSignal;
  since?: string | number;
}

/** A container runtime. Every method that changes the system names the resource in its errors. */
export interface Runtime {
  readonly name: RuntimeName;

  // Images
  hasImage(ref: string): Promise<boolean>;
  /** Pulls (or imports `docker-archive:`/`oci:`) an image; `signal` stops it, taking away what it added. */
  pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void>;
  /** Builds an image; `signal` stops it (base image pulls included), leaving no half-made image. */
  buildImage(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo>;
  listImages(): Promise<ImageInfo[]>;
  removeImage(ref: string): Promise<void>;

  // Networks and volumes
  createNetwork(spec: NetworkSpec): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  createVolume(spec: VolumeSpec): Promise<void>;
  removeVolume(name: string): Promise<void>;

  // Containers
  createContainer(spec: ContainerSpec): Promise<ContainerInfo>;
  startContainer(name: string): Promise<ContainerInfo>;
  /** Sends the stop signal, waits up to the grace period, then kills. */
  stopContainer(name: string, opts?: { timeout?: Millis }): Promise<void>;
  killContainer(name: string, signal?: string): Promise<void>;
  removeContainer(name: string, opts?: { force?: boolean }): Promise<void>;
  inspectContainer(name: string): Promise<ContainerInfo | undefined>;
  /** Containers whose labels include all of `labels`. */
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>;
  waitContainer(name: string, signal?: AbortSignal): Promise<ExitStatus>;
  logs(name: string, opts?: LogOptions): AsyncIterable<LogLine>;
  exec(name: string, opts: ExecOptions): Promise<ExecResult>;
  stats(name: string): Promise<ContainerStats>;

  /** Networks and volumes whose labels include all of `labels`. */
  listNetworks(labels: Record<string, string>): Promise<string[]>;
  listVolumes(labels: Record<string, string>): Promise<string[]>;

  /** Releases connections and handles (not the containers). */
  close(): Promise<void>;

  // Container events (issue 14): `stack events` and the dashboard follow them instead of polling.
  /**
   * The events of the containers carrying all of `labels`, as they happen, until `opts.signal`
   * aborts (the iteration then ends). Events before now are given from `since` as far as the
   * runtime still holds them.
   */
  events(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent>;

  // Pause, processes and copies (`stack pause|unpause|top|cp`, issue 14).
  /** Freezes every process of a running container (cgroup freezer; Docker's pause): it reports `paused`. */
  pauseContainer(name: string): Promise<void>;
  /** Thaws a paused container. */
  unpauseContainer(name: string): Promise<void>;
  /** The processes of a running (or paused) container, as `docker top` shows them. */
  top(name: string): Promise<ProcessTable>;
  /** Copies `src`, a path in the container, to `dest` on this host by `docker cp`'s rules; symlinks resolve inside the container. */
  copyFromContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void>;
  /** Copies `src` on this host to `dest`, a path in the container (running or not), by `docker cp`'s rules. */
  copyToContainer(name: string, src: string, dest: string, opts?: CopyOptions): Promise<void>;

  // Attached one-off runs (`stack run`, as Compose's `run` attaches): stdin and a terminal.
  /**
   * Starts a created container with this process's stdin, stdout and stderr attached to its main
   * process (its pseudo-terminal when it was created with `tty`: this process's terminal raw, its
   * window size passed on at each resize, restored at the end), and resolves with its exit once it
   * has ended and its output was written. The container should be created with `stdinOpen`.
   */
  startAttached(name: string): Promise<ExitStatus>;

  // issue 19: a runtime on another host, whose container addresses do not route from here.
  /** Runs a `ready:` tcp or http probe from where the containers are (absent: the executor connects from this process). */
  probeEndpoint?(probe: EndpointProbe, signal: AbortSignal): Promise<{ status: 'ok' | 'pending' | 'fatal'; detail: string }>;
  /** Where `service`'s bind sources are, when they are paths of another host (absent or undefined: this one's). */
  remoteBinds?(service: string): RemoteBinds | undefined;
  // Snapshots and resets (issue 20, src/runtime/snapshot-types.ts): `stack snapshot`, `stack reset`.
  /**
   * Saves the writable layers of `containers` (all of `project`) and of the project's named volumes
   * they use as snapshot `name` (replacing one of that name); running ones are frozen meanwhile.
   */
  snapshot(project: string, name: string, containers: string[], opts?: SnapshotOptions): Promise<SnapshotInfo>;
  /** The project's snapshots, oldest first. */
  listSnapshots(project: string): Promise<SnapshotInfo[]>;
  /** Removes a snapshot (and the layers only it held); a SnapshotError when there is none. */
  removeSnapshot(project: string, name: string): Promise<void>;
  /**
   * Puts stopped `containers` (and the named volumes of the snapshot they use) back to snapshot `name`:
   * a new empty writable layer over the snapshot's layers; the old one is removed. Starts nothing.
   */
  resetToSnapshot(project: string, name: string, containers: string[], opts?: ResetOptions): Promise<void>;
}

/** A tcp or http readiness probe of one endpoint (issue 19: run on the remote host). */
/** issue 19: bind sources on another host: which, and making the missing ones there (returns those it made). */
export interface RemoteBinds {
  host: string;
  make(paths: string[]): Promise<string[]>;
}

/** A `ready:` probe of an address; `container`: whose (ships probe from the host it runs on). */
export type EndpointProbe = ({ kind: 'tcp'; host: string; port: number } | { kind: 'http'; host: string; port: number; path: string; status: number }) & { container?: string };

/** A container's processes: column titles (UID PID PPID C STIME TTY TIME CMD) and one row per process. */
export interface ProcessTable {
  titles: string[];
  processes: string[][];
}

/** Options of a copy between a container and this host (`stack cp`). */
export interface CopyOptions {
  /** Keep the source's owners (uid/gid); otherwise the destination's user (root in a container, the caller on the host) owns the copy. */
  archive?: boolean;
  /** Copy what a symlink given as the source points to, not the link. */
  followLink?: boolean;
}
