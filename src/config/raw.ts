/**
 * The stack file as written, once it has passed the schema: the shapes normalization reads.
 * Mirrors schemas/stack.schema.json; every short form is still here.
 */
import type { DependencyCondition, RuntimeName } from './model.js';
import type { RawPortLong } from './ports.js';
import type { RawVolumeLong } from './volumes.js';

export type Scalar = string | number | boolean | null;
/** A mapping of names to values, or a list of `NAME=VALUE` strings. */
export type ListOrDict = Record<string, Scalar> | string[];
export type StringOrList = string | string[];
/** Durations and sizes are still strings here. */
export type Duration = string;
export type Size = string | number;

export interface RawStack {
  version?: string | number;
  name?: string;
  runtime?: RuntimeName;
  services: Record<string, RawService>;
  networks?: Record<string, RawNetwork | null>;
  volumes?: Record<string, RawVolume | null>;
  ships?: Record<string, RawShip>;
  secrets?: Record<string, RawFileObject | null>;
  configs?: Record<string, RawFileObject | null>;
  [extension: `x-${string}`]: unknown;
}

export interface RawBuild {
  context?: string;
  dockerfile?: string;
  args?: ListOrDict;
  target?: string;
  labels?: ListOrDict;
  no_cache?: boolean;
  // Compose's other build keys (src/config/build-keys.ts)
  dockerfile_inline?: string;
  additional_contexts?: ListOrDict;
  network?: string;
  extra_hosts?: string[] | Record<string, string>;
  secrets?: (string | RawBuildSecret)[];
  ssh?: ListOrDict;
  cache_from?: string[];
  cache_to?: string[];
  pull?: boolean;
  tags?: string[];
  shm_size?: Size;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  isolation?: string;
  platforms?: string[];
  privileged?: boolean;
  entitlements?: string[];
}

/** A build secret's long form. */
export interface RawBuildSecret {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number | string;
}

export interface RawLimits {
  memory?: Size;
  cpus?: number | string;
  pids?: number;
}

export interface RawHealthcheck {
  test?: StringOrList;
  interval?: Duration;
  timeout?: Duration;
  retries?: number;
  start_period?: Duration;
  start_interval?: Duration;
  disable?: boolean;
}

export interface RawReady {
  tcp?: number;
  http?: number | { port: number; path?: string; status?: number };
  log?: string;
  exec?: StringOrList;
  interval?: Duration;
  timeout?: Duration;
  start_interval?: Duration;
}

export interface RawService {
  image?: string;
  build?: string | RawBuild;
  pull_policy?: string;
  command?: StringOrList;
  entrypoint?: StringOrList;
  environment?: ListOrDict;
  env_file?: string | (string | { path: string; required?: boolean })[];
  working_dir?: string;
  user?: string | number;
  hostname?: string;
  container_name?: string;
  platform?: string;
  labels?: ListOrDict;
  volumes?: (string | RawVolumeLong)[];
  volumes_from?: string[];
  tmpfs?: StringOrList;
  networks?: string[] | Record<string, { aliases?: string[]; ipv4_address?: string; ipv6_address?: string; mac_address?: string } | null>;
  network_mode?: string;
  dns?: StringOrList;
  dns_search?: StringOrList;
  dns_opt?: string[];
  domainname?: string;
  mac_address?: string;
  ports?: (string | number | RawPortLong)[];
  expose?: (string | number)[];
  links?: string[];
  external_links?: string[];
  extra_hosts?: string[] | Record<string, string>;
  healthcheck?: RawHealthcheck;
  ready?: RawReady;
  resources?: RawLimits;
  deploy?: {
    replicas?: number;
    resources?: { limits?: RawLimits; reservations?: RawReservations };
    restart_policy?: { condition?: 'none' | 'on-failure' | 'any'; max_attempts?: number; delay?: Duration; window?: Duration };
    mode?: 'replicated' | 'global' | 'replicated-job' | 'global-job';
    // Issue 18, swarm (src/config/deploy-keys.ts).
    labels?: ListOrDict;
    endpoint_mode?: 'vip' | 'dnsrr';
    placement?: { constraints?: string[]; preferences?: { spread: string }[]; max_replicas_per_node?: number };
    update_config?: RawUpdateConfig;
    rollback_config?: RawUpdateConfig;
  };
  mem_limit?: Size;
  cpus?: number | string;
  pids_limit?: number;
  restart?: string;
  stop_grace_period?: Duration;
  stop_signal?: string;
  depends_on?: string[] | Record<string, { condition?: DependencyCondition; restart?: boolean; required?: boolean } | null>;
  replicas?: number;
  scale?: number;
  profiles?: string[];
  ship?: string;
  tty?: boolean;
  stdin_open?: boolean;
  attach?: boolean;
  init?: boolean;
  read_only?: boolean;
  privileged?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  // Process and confinement keys (see process-keys.ts).
  ulimits?: Record<string, number | string | { soft: number | string; hard: number | string }>;
  shm_size?: Size;
  sysctls?: ListOrDict;
  ipc?: string;
  pid?: string | null;
  uts?: string;
  devices?: (string | { source: string; target?: string; permissions?: string })[];
  device_cgroup_rules?: string[];
  security_opt?: string[];
  group_add?: (string | number)[];
  oom_score_adj?: number | string;
  mem_swappiness?: number | string;
  memswap_limit?: Size;
  cpu_shares?: number | string;
  cpu_quota?: number | string;
  cpu_period?: number | string;
  cpuset?: string;
  cgroup_parent?: string;
  userns_mode?: string;
  storage_opt?: Record<string, string | number>;
  blkio_config?: RawBlkio;
  cpu_count?: number | string;
  cpu_percent?: number | string;
  // Compose secrets/configs, logging, annotations, OCI runtime (see file-objects.ts, service-extras.ts).
  secrets?: (string | RawFileReference)[];
  configs?: (string | RawFileReference)[];
  logging?: { driver?: string; options?: Record<string, string | number | null> };
  annotations?: ListOrDict;
  runtime?: string;
  mem_reservation?: Size;
  [extension: `x-${string}`]: unknown;
}

/** A top-level `secrets:` / `configs:` entry as written. */
export interface RawFileObject {
  name?: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean | { name?: string };
  labels?: ListOrDict;
}

/** A service's `secrets:` / `configs:` entry in its long form. */
export interface RawFileReference {
  source: string;
  target?: string;
  uid?: string | number;
  gid?: string | number;
  mode?: string | number;
}

/** Issue 18, swarm: `deploy.update_config` / `rollback_config` as written. */
export interface RawUpdateConfig {
  parallelism?: number;
  delay?: Duration;
  failure_action?: 'continue' | 'pause' | 'rollback';
  monitor?: Duration;
  max_failure_ratio?: number | string;
  order?: 'stop-first' | 'start-first';
}

/** `deploy.resources.reservations`. */
export interface RawReservations {
  memory?: Size;
  cpus?: number | string;
  pids?: number;
  devices?: unknown[];
  generic_resources?: unknown[];
}

/** `blkio_config:` as written. */
export interface RawBlkio {
  weight?: number | string;
  weight_device?: { path: string; weight: number | string }[];
  device_read_bps?: { path: string; rate: Size }[];
  device_read_iops?: { path: string; rate: Size }[];
  device_write_bps?: { path: string; rate: Size }[];
  device_write_iops?: { path: string; rate: Size }[];
}

export interface RawNetwork {
  name?: string;
  external?: boolean;
  internal?: boolean;
  driver?: 'bridge' | 'overlay';
  driver_opts?: Record<string, string | number>;
  attachable?: boolean;
  enable_ipv6?: boolean;
  ipam?: { driver?: string; config?: { subnet?: string; gateway?: string; ip_range?: string; aux_addresses?: Record<string, string> }[] };
  labels?: ListOrDict;
}

export interface RawVolume {
  name?: string;
  external?: boolean;
  driver?: 'local';
  driver_opts?: Record<string, string | number>;
  labels?: ListOrDict;
}

export interface RawShip {
  docker?: string;
  runtime?: 'embedded';
  host?: string;
  tls?: { ca?: string; cert?: string; key?: string; verify?: boolean };
  manager?: boolean;
}
