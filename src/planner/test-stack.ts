/**
 * Builds normalized `Stack` objects for planner tests and benchmarks, without the config loader:
 * every field a test does not care about gets the loader's default.
 */
import type { SourceLocation } from '../errors.js';
import type {
  Dependency,
  DependencyCondition,
  FileObject,
  Healthcheck,
  Network,
  Service,
  SourceMap,
  Stack,
  Volume,
} from '../config/model.js';

/** A service as a test writes it: any field of `Service`, with `depends_on` also as a list or a table of conditions. */
export type ServiceInput = Partial<Omit<Service, 'name' | 'depends_on'>> & {
  depends_on?: string[] | Record<string, DependencyCondition | Partial<Dependency>>;
};

/** What `makeStack` takes: services and the few top-level fields tests vary. */
export interface StackInput {
  name?: string;
  services: Record<string, ServiceInput>;
  networks?: Record<string, Partial<Network>>;
  volumes?: Record<string, Partial<Volume>>;
  secrets?: Record<string, FileObject>;
  configs?: Record<string, FileObject>;
  /** Key path → [line, col] for the fake source map; unknown paths map to 1:1. */
  locations?: Record<string, [number, number]>;
}

/** A source map over a table of key paths, as if the stack were written in `stack.yaml`. */
export function fakeSourceMap(locations: Record<string, [number, number]> = {}): SourceMap {
  return {
    locate(path: string): SourceLocation {
      const [line, col] = locations[path] ?? [1, 1];
      return { file: 'stack.yaml', line, col, path };
    },
  };
}

/** A service with every field at the loader's default, overridden by `input`. */
export function makeService(name: string, input: ServiceInput = {}): Service {
  const { depends_on, ...rest } = input;
  return {
    name,
    image: input.build ? undefined : 'host',
    pull_policy: 'missing',
    environment: {},
    env_file: [],
    labels: {},
    volumes: [],
    networks: {},
    ports: [],
    expose: [],
    links: [],
    extra_hosts: {},
    resources: {},
    restart: { policy: 'no' },
    stop_grace_period: 10_000,
    stop_signal: 'SIGTERM',
    volumes_from: [],
    replicas: 1,
    profiles: [],
    tty: false,
    stdin_open: false,
    init: false,
    read_only: false,
    privileged: false,
    cap_add: [],
    cap_drop: [],
    tmpfs: [],
    dns: [],
    dns_search: [],
    dns_opt: [],
    extensions: {},
    secrets: [],
    configs: [],
    annotations: {},
    reservations: {},
    ...rest,
    depends_on: dependencies(depends_on),
  };
}

/** A whole stack named `shop` unless told otherwise, with `stack.yaml` as its file. */
export function makeStack(input: StackInput): Stack {
  const services: Record<string, Service> = {};
  for (const [name, s] of Object.entries(input.services)) services[name] = makeService(name, s);
  const networks: Record<string, Network> = {};
  for (const [name, n] of Object.entries(input.networks ?? {})) {
    networks[name] = { name: n.external ? name : `${input.name ?? 'shop'}_${name}`, external: false, internal: false, labels: {}, ipam: [], driver_opts: {}, attachable: false, enable_ipv6: false, ...n };
  }
  const volumes: Record<string, Volume> = {};
  for (const [name, v] of Object.entries(input.volumes ?? {})) {
    volumes[name] = { name: v.external ? name : `${input.name ?? 'shop'}_${name}`, external: false, labels: {}, driver_opts: {}, ...v };
  }
  return {
    name: input.name ?? 'shop',
    file: '/work/stack.yaml',
    files: ['/work/stack.yaml'],
    dir: '/work',
    services,
    networks,
    volumes,
    ships: {},
    secrets: input.secrets ?? {},
    configs: input.configs ?? {},
    extensions: {},
    source: fakeSourceMap(input.locations),
  };
}

function dependencies(input: ServiceInput['depends_on']): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  if (Array.isArray(input)) {
    for (const name of input) out[name] = { condition: 'service_started', restart: false, required: true };
    return out;
  }
  for (const [name, d] of Object.entries(input ?? {})) {
    const given = typeof d === 'string' ? { condition: d } : d;
    out[name] = { condition: 'service_started', restart: false, required: true, ...given };
  }
  return out;
}

/** A healthcheck with short, fixed timings. */
export function healthcheck(test: string[]): Healthcheck {
  return { test, interval: 1000, timeout: 500, retries: 3, start_period: 0, start_interval: 50 };
}

/** DESIGN.md's shop: db (healthy), a one-shot migrate, api ×2 (built), worker, web (pulled). */
export function shopStack(): Stack {
  return makeStack({
    name: 'shop',
    networks: { backend: {}, front: {} },
    volumes: { pgdata: {} },
    services: {
      db: {
        image: 'host',
        volumes: [{ type: 'volume', source: 'pgdata', target: '/data', read_only: false }],
        networks: { backend: { aliases: ['database'] } },
        healthcheck: healthcheck(['CMD', 'pg_isready']),
      },
      migrate: {
        image: 'host',
        command: ['./migrate'],
        networks: { backend: { aliases: [] } },
        depends_on: { db: 'service_healthy' },
      },
      api: {
        build: { context: '/work/api', dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false },
        networks: { backend: { aliases: [] }, front: { aliases: [] } },
        depends_on: { db: 'service_healthy', migrate: 'service_completed_successfully' },
        replicas: 2,
        ready: { kind: 'http', port: 8080, path: '/health', status: 200, start_interval: 50, interval: 1000, timeout: 500 },
      },
      worker: {
        image: 'host',
        networks: { backend: { aliases: [] } },
        depends_on: { db: 'service_started', migrate: 'service_completed_successfully' },
      },
      web: {
        image: 'nginx:1.27',
        networks: { front: { aliases: [] } },
        depends_on: { api: 'service_healthy' },
      },
    },
  });
}
