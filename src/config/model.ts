/**
 * The normalized stack model: what config/ produces and every later stage reads.
 * Field names follow the Compose specification; every short form is expanded, durations are
 * milliseconds and sizes are bytes, so no consumer parses strings again.
 */
import type { SourceLocation } from '../errors.js';

/** Milliseconds. */
export type Millis = number;
/** Bytes. */
export type Bytes = number;

/** A whole stack file, validated and normalized. */
export interface Stack {
  /** Project name: `name:`, else the folder's name; `-p` overrides. Lowercase [a-z0-9_-]. */
  name: string;
  /** Absolute path of the (first) stack file; `-` when it was read from standard input. */
  file: string;
  /** Every stack file merged into this one, in order (`-f a -f b`, or the file and its override file); `file` is the first. */
  files: string[];
  /** Folder of the stack file: relative paths (build contexts, bind mounts, env files) resolve here. */
  dir: string;
  /** Runtime the file asks for, if any (`--runtime` and HAFEN_RUNTIME override). */
  runtime?: RuntimeName;
  services: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  ships: Record<string, Ship>;
  /** Compose `secrets:` and `configs:`: files services get read-only (see FileObject). */
  secrets: Record<string, FileObject>;
  configs: Record<string, FileObject>;
  /** `x-*` keys at the top level, kept as written. */
  extensions: Record<string, unknown>;
  /** Where each key path was written, for errors raised after loading (cycles, runtime checks). */
  source: SourceMap;
  /** Services publishing ports the file gives no address (`up` says where they listen). */
  ports_without_address?: string[];
  // Issue 18, push: `x-hafen-registry`, the registry (HOST[:PORT]) `stack push` sends images that name none to.
  registry?: string;
  // Issue 17, rootless: `x-hafen-strict-limits: true`, refuse to start rather than run without limits (as --strict-limits).
  strictLimits?: boolean;
}

export type RuntimeName = 'embedded' | 'docker' | 'swarm';

/** Finds where a key path was written; falls back to the nearest written parent. */
export interface SourceMap {
  locate(path: string): SourceLocation;
}

export interface Service {
  name: string;
  /** `host`, `scratch`, `NAME[:TAG|@DIGEST]`, `docker-archive:PATH`, `oci:PATH`; absent when only `build` is given. */
  image?: string;
  build?: BuildSpec;
  pull_policy: PullPolicy;
  /**
   * Argv words: a string is split as Compose splits it, with no shell (`[sh, -c, …]` for one).
   * Absent: the image's; `[]` (or `""`): given empty, combined with the image's by Docker's rules.
   */
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  /** Absolute paths of the env files read into `environment` (kept for `config` output and hashing). */
  env_file: string[];
  working_dir?: string;
  user?: string;
  hostname?: string;
  /** Fixed container name (`container_name:`); only allowed with one replica. */
  container_name?: string;
  /** Platform of the image, e.g. `linux/amd64` (`platform:`). */
  platform?: string;
  labels: Record<string, string>;
  volumes: VolumeMount[];
  networks: Record<string, ServiceNetwork>;
  ports: PortMapping[];
  /** Container ports documented as used (no publishing). */
  expose: number[];
  links: Link[];
  /** Containers outside the project (`external_links`), `NAME` or `NAME:ALIAS` as written; absent when none. */
  external_links?: string[];
  extra_hosts: Record<string, string>;
  /** Compose's healthcheck; `test: ["NONE"]` when disabled, which switches off the image's HEALTHCHECK too. */
  healthcheck?: Healthcheck;
  /** (+) checks run by hafen from outside the container. */
  ready?: ReadyCheck;
  resources: Resources;
  restart: RestartPolicy;
  stop_grace_period: Millis;
  /** As written (`SIGINT`, `9`); absent: the image's STOPSIGNAL, else SIGTERM. */
  stop_signal?: string;
  depends_on: Record<string, Dependency>;
  /** Services whose volumes this one mounts too (`volumes_from`). */
  volumes_from: VolumesFrom[];
  replicas: number;
  profiles: string[];
  /** (+) name of the Docker engine (`ships:`) this service runs on. */
  ship?: string;
  tty: boolean;
  stdin_open: boolean;
  /** `attach: false`: an attached `up` does not show its logs; absent: shown. */
  attach?: false;
  init: boolean;
  read_only: boolean;
  privileged: boolean;
  cap_add: string[];
  cap_drop: string[];
  tmpfs: string[];
  // Process and confinement keys: each absent when not written (see process-keys.ts).
  /** rlimits by name (`nofile`), soft and hard; -1 is unlimited. */
  ulimits?: Record<string, Ulimit>;
  /** Size of /dev/shm. */
  shm_size?: Bytes;
  /** Namespaced kernel parameters (`net.ipv4.ip_forward`) → value. */
  sysctls?: Record<string, string>;
  /** `private`, `shareable`, `host`, `service:NAME`, `container:NAME`. */
  ipc?: string;
  /** `host`, `service:NAME`, `container:NAME`. */
  pid?: string;
  /** `host`. */
  uts?: string;
  devices?: DeviceMapping[];
  /** Extra device cgroup rules (`c 1:3 mr`, `a *:* rwm`), each allowing on top of the default device set. */
  device_cgroup_rules?: string[];
  security_opt?: string[];
  /** Group names (looked up in the image's /etc/group) or numbers, as written. */
  group_add?: string[];
  oom_score_adj?: number;
  mem_swappiness?: number;
  /** Memory plus swap; -1 is unlimited swap. */
  memswap_limit?: Bytes;
  cpu_shares?: number;
  /** Microseconds per period; -1 is none. */
  cpu_quota?: number;
  cpu_period?: number;
  cpuset?: string;
  cgroup_parent?: string;
  userns_mode?: string;
  storage_opt?: Record<string, string>;
  blkio_config?: BlkioConfig;
  cpu_count?: number;
  cpu_percent?: number;
  // Networking beyond the stack's networks (Compose's keys, same meaning).
  /** `network_mode:` other than the stack's networks; absent: the networks in `networks`. */
  network_mode?: NetworkMode;
  /** DNS servers, search domains and resolver options written to /etc/resolv.conf. */
  dns: string[];
  dns_search: string[];
  dns_opt: string[];
  /** NIS domain name of the container (UTS namespace). */
  domainname?: string;
  /** MAC address of the container's interface on its first network. */
  mac_address?: string;
  /** Compose `secrets:` / `configs:` of the service, long form, targets absolute. */
  secrets: FileReference[];
  configs: FileReference[];
  // Compose logging, annotations, OCI runtime, reservations, pull refresh (see service-extras.ts).
  /** `logging:` as written (driver defaults to json-file); absent: the runtime's default. */
  logging?: Logging;
  /** OCI annotations of the container. */
  annotations: Record<string, string>;
  /** OCI runtime name (`runtime: runsc`): Docker only. */
  runtime?: string;
  /** `deploy.resources.reservations`. */
  reservations: Reservations;
  /** With pull_policy `refresh` (daily, weekly, every_<duration>): pull again when the local image is older. */
  pull_refresh_after?: Millis;
  /** `x-*` keys of the service, kept as written. */
  extensions: Record<string, unknown>;
  // Issue 18, swarm: the `deploy:` keys a Swarm honours (src/config/deploy-keys.ts); absent when `deploy:` has none of them.
  /** `deploy.mode`, `labels`, `endpoint_mode`, `placement`, `restart_policy`, `update_config`, `rollback_config`. */
  deploy?: SwarmDeploy;
}

/**
 * Issue 18: `deploy:` as Docker Swarm reads it. The other runtimes take replicas, resources and
 * restart_policy from it (see `replicas`, `resources`, `restart`) and nothing else.
 */
export interface SwarmDeploy {
  /** `replicated` (default), `global`, `replicated-job`, `global-job`. */
  mode: DeployMode;
  /** Labels of the Swarm service itself (`labels:` are the containers'). */
  labels: Record<string, string>;
  /** `vip` (Swarm's default) or `dnsrr`. */
  endpoint_mode?: 'vip' | 'dnsrr';
  placement: Placement;
  /** `deploy.restart_policy` as written; absent: `restart:` (see `Service.restart`) as docker stack deploy reads it. */
  restart_policy?: SwarmRestartPolicy;
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
}

export type DeployMode = 'replicated' | 'global' | 'replicated-job' | 'global-job';

/** Where Swarm may put a service's tasks. */
export interface Placement {
  /** `node.role == manager`, `node.labels.zone != east`, … */
  constraints: string[];
  /** Spread descriptors (`node.labels.zone`), in order. */
  preferences: string[];
  max_replicas_per_node?: number;
}

/** `deploy.restart_policy` in full. */
export interface SwarmRestartPolicy {
  condition: 'none' | 'on-failure' | 'any';
  delay?: Millis;
  max_attempts?: number;
  window?: Millis;
}

/** `deploy.update_config` / `rollback_config`: how Swarm replaces a service's tasks. */
export interface UpdateConfig {
  /** Tasks replaced at once; 0 is all at once. Default 1. */
  parallelism: number;
  delay: Millis;
  failure_action?: 'continue' | 'pause' | 'rollback';
  monitor: Millis;
  max_failure_ratio: number;
  order?: 'stop-first' | 'start-first';
}

/** One rlimit; -1 is unlimited (RLIM_INFINITY). */
export interface Ulimit {
  soft: number;
  hard: number;
}

/** A host device made available in the container. */
export interface DeviceMapping {
  source: string;
  target: string;
  /** Cgroup permissions, `rwm` by default. */
  permissions: string;
}

/** Block IO weight and limits (Docker's blkio); rates in bytes or IOs per second. */
export interface BlkioConfig {
  weight?: number;
  weight_device: { path: string; weight: number }[];
  device_read_bps: { path: string; rate: number }[];
  device_read_iops: { path: string; rate: number }[];
  device_write_bps: { path: string; rate: number }[];
  device_write_iops: { path: string; rate: number }[];
}

export type PullPolicy = 'missing' | 'always' | 'never' | 'build' | 'refresh';

/** A service's `logging:`. */
export interface Logging {
  driver: string;
  /** Driver options as text (`max-size: 10m`, `max-file: "3"`). */
  options: Record<string, string>;
}

/** `deploy.resources.reservations`: what a service asks to have kept for it. */
export interface Reservations {
  memory?: Bytes;
  cpus?: number;
  pids?: number;
  /** Device requests (GPUs) as written. */
  devices?: Record<string, unknown>[];
  generic_resources?: Record<string, unknown>[];
}

export interface BuildSpec {
  /** Absolute path. */
  context: string;
  /** Path relative to the context, as Compose has it. */
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  no_cache: boolean;
  // Compose's other build keys (src/config/build-keys.ts): each absent when not written.
  /** The Dockerfile's text (`dockerfile_inline`): `dockerfile` is then not read. */
  dockerfile_inline?: string;
  /** `context` is a git URL (`https://host/x.git#ref:dir`, `git@…`), kept as written. */
  remote?: boolean;
  /** Named contexts for FROM and COPY --from: an absolute folder, `docker-image://REF`, `service:NAME` or a URL. */
  additional_contexts?: Record<string, string>;
  /** Network of RUN steps: `default`, `host`, `none`, or (Docker) a network's name. */
  network?: string;
  /** Extra /etc/hosts entries of RUN steps: host → address. */
  extra_hosts?: Record<string, string>;
  secrets?: BuildSecret[];
  ssh?: BuildSsh[];
  cache_from?: string[];
  cache_to?: string[];
  /** Pull the base images even when present. */
  pull?: boolean;
  /** More names for the built image. */
  tags?: string[];
  shm_size?: Bytes;
  ulimits?: Record<string, BuildUlimit>;
  isolation?: string;
  platforms?: string[];
  privileged?: boolean;
  entitlements?: string[];
}

/** A build secret: `id` is what `RUN --mount=type=secret,id=…` names; its value comes from a file or a variable. */
export interface BuildSecret {
  id: string;
  /** The top-level secret's name. */
  source: string;
  /** Absolute path of the secret's file. */
  file?: string;
  /** Name of the environment variable holding the secret (read when building, never stored). */
  environment?: string;
  /** Defaults for the mounted file's owner and mode (the RUN --mount flags win). */
  uid?: number;
  gid?: number;
  mode?: number;
}

/** An SSH authentication for `RUN --mount=type=ssh`: `default` (SSH_AUTH_SOCK) or an id with a socket or key file. */
export interface BuildSsh {
  id: string;
  path?: string;
}

/** A resource limit of RUN steps. */
export interface BuildUlimit {
  soft: number;
  hard: number;
}

export type VolumeMount =
  | { type: 'volume'; source?: string; target: string; read_only: boolean }
  | { type: 'bind'; source: string; target: string; read_only: boolean; create_host_path: boolean; propagation?: BindPropagation }
  | { type: 'tmpfs'; target: string; size?: Bytes; mode?: number };

/** Mount propagation of a bind (`rslave`, …); absent: the runtime's default, rprivate. */
export type BindPropagation = 'private' | 'rprivate' | 'slave' | 'rslave' | 'shared' | 'rshared';

export interface ServiceNetwork {
  aliases: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  /** MAC address of the interface on this network. */
  mac_address?: string;
}

/**
 * Compose's `network_mode` other than the stack's networks: the host's network namespace, one with
 * only a loopback, or the namespace of another service's (first) container or of a container by name.
 */
export type NetworkMode =
  | { kind: 'host' }
  | { kind: 'none' }
  | { kind: 'service'; service: string }
  | { kind: 'container'; container: string };

export type Protocol = 'tcp' | 'udp';

/** One published container port. `published` absent means "a free host port, chosen at start". */
export interface PortMapping {
  target: number;
  published?: number;
  /** Host address to listen on; 127.0.0.1 unless the file says otherwise. */
  host_ip: string;
  protocol: Protocol;
  /** Issue 18, swarm: `mode:` of the long syntax (`host` or `ingress`), absent when not written (Swarm: ingress). */
  mode?: 'host' | 'ingress';
}

export interface Link {
  service: string;
  alias: string;
}

export interface VolumesFrom {
  service: string;
  read_only: boolean;
}

/** Compose's healthcheck, run inside the container. `test` is exec form: `["CMD", ...]` or `["CMD-SHELL", cmd]`. */
export interface Healthcheck {
  test: string[];
  interval: Millis;
  timeout: Millis;
  retries: number;
  start_period: Millis;
  start_interval: Millis;
  /**
   * Fields the stack file left out, which the runtime takes from the image's HEALTHCHECK when it has
   * one, field by field, as the Docker engine merges them (`test` is then `[]`: the image's test).
   * The values above are the defaults used when the image has none.
   */
  fromImage?: HealthcheckField[];
}

/** The fields of a healthcheck an image's HEALTHCHECK can fill in. */
export type HealthcheckField = 'test' | 'interval' | 'timeout' | 'retries' | 'start_period';

/** (+) A readiness check hafen runs itself. */
export type ReadyCheck = ReadyProbe & ReadyTiming;

export type ReadyProbe =
  | { kind: 'tcp'; port: number }
  | { kind: 'http'; port: number; path: string; status: number }
  | { kind: 'log'; pattern: string }
  | { kind: 'exec'; command: string[] };

export interface ReadyTiming {
  /** First probe delay; probes back off from here up to `interval`. */
  start_interval: Millis;
  interval: Millis;
  timeout: Millis;
}

export interface Resources {
  memory?: Bytes;
  /** Fraction of cores: 0.5 is half a core. */
  cpus?: number;
  pids?: number;
}

export type RestartPolicy =
  | { policy: 'no' }
  | { policy: 'on-failure'; max_retries?: number }
  | { policy: 'always' }
  | { policy: 'unless-stopped' };

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Dependency {
  condition: DependencyCondition;
  /** Restart this service when the dependency is recreated. */
  restart: boolean;
  /** When false, a missing or disabled dependency is skipped instead of failing. */
  required: boolean;
}

export interface Network {
  /** Runtime name: `name:`, else `<project>_<key>` (an external one: the key), as Compose names it. */
  name: string;
  /** An existing network outside the stack's control. */
  external: boolean;
  internal: boolean;
  /** CIDR; chosen from the private pool at creation when absent. */
  subnet?: string;
  labels: Record<string, string>;
  // Compose's further network keys.
  /** Every `ipam.config` entry; `subnet` above is the first one's. */
  ipam: IpamPool[];
  driver_opts: Record<string, string>;
  attachable: boolean;
  enable_ipv6: boolean;
  /** Issue 18, swarm: `driver: overlay` as written (a Swarm's networks are overlays anyway); absent: bridge. */
  driver?: 'overlay';
}

/** One `ipam.config` entry. */
export interface IpamPool {
  subnet?: string;
  gateway?: string;
  ip_range?: string;
  aux_addresses: Record<string, string>;
}

export interface Volume {
  /** Runtime name: `name:`, else `<project>_<key>` (an external one: the key), as Compose names it. */
  name: string;
  external: boolean;
  labels: Record<string, string>;
  /** `driver_opts` of the local driver (`type`, `o`, `device`, as `mount` takes them). */
  driver_opts: Record<string, string>;
}

/** (+) A Docker engine by address, maestro-ng's "ship"; or hafen's embedded runtime on a Linux host (issue 19). */
export interface Ship {
  name: string;
  /** `unix:///var/run/docker.sock`, `tcp://host:port`, `ssh://user@host`; `''` for an embedded ship. */
  docker: string;
  /** `runtime: embedded`: hafen's own runtime, on `host` (`ssh://…`) or, without it, this machine. */
  embedded?: { host?: string };
  tls?: { ca?: string; cert?: string; key?: string; verify: boolean };
  /** Issue 18: the engine of a swarm manager, the one `--runtime swarm` deploys through (instead of DOCKER_HOST). */
  manager?: boolean;
}

/** The default network every service joins when it names none, as in Compose. */
export const DEFAULT_NETWORK = 'default';

/**
 * A top-level secret or config: where its data comes from. Exactly one source is set. The data
 * of an `environment:` source is read at load into `value`, which never prints (see Sensitive).
 */
export interface FileObject {
  /** `name:`, else the key. */
  name: string;
  external: boolean;
  /** Absolute path of a host file. */
  file?: string;
  /** Name of the variable (process environment or `.env`) holding the data. */
  environment?: string;
  /** The data, written in the file (configs only). */
  content?: string;
  /** The data of an `environment:` source; absent when that variable is not set (then `up` refuses). */
  value?: Sensitive;
  labels: Record<string, string>;
}

/** One `secrets:` / `configs:` entry of a service in its long form. */
export interface FileReference {
  /** Key of the top-level secret or config. */
  source: string;
  /** Absolute path in the container: secrets default to `/run/secrets/<source>`, configs to `/<source>`. */
  target: string;
  uid?: number;
  gid?: number;
  /** Permission bits; the file is 0444 when unset. */
  mode?: number;
}

/**
 * Text that must never print: JSON, `String()` and util.inspect show a placeholder, and
 * structuredClone drops it (a private field), so it cannot reach a log, a state file or an error
 * by accident. `reveal()` is the one way to the text, for the code that writes it into a container.
 */
export class Sensitive {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  reveal(): string {
    return this.#text;
  }
  toString(): string {
    return '[hidden]';
  }
  toJSON(): string {
    return '[hidden]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Sensitive [hidden]';
  }
}
