/**
 * The `deploy:` half of a Swarm ServiceSpec: mode, placement, resources, restart policy, update and
 * rollback configs, endpoint (ports). Pure; each converter reads the normalized Service and
 * gives the Engine API's shape, with the meaning docker stack deploy gives the same keys.
 */
import type Docker from 'dockerode';
import type { PortMapping, RestartPolicy, Service, SwarmRestartPolicy, UpdateConfig } from '../../config/model.js';

/** Milliseconds → the Engine API's nanoseconds. */
export const NS_PER_MS = 1_000_000;

/**
 * The service mode. `job` runs the service to completion (replicated-job, or global-job for a
 * global one): a one-shot that others wait for with `service_completed_successfully` finishes,
 * is counted by Swarm as completed (ServiceStatus.CompletedTasks) and is not started again,
 * where a replicated service with restart condition `none` would stay "0/1" and be re-run by every update.
 */
export function serviceMode(service: Service, job: boolean): Docker.ServiceMode {
  const written = service.deploy?.mode ?? 'replicated';
  const mode = job ? (written === 'global' || written === 'global-job' ? 'global-job' : 'replicated-job') : written;
  switch (mode) {
    case 'replicated':
      return { Replicated: { Replicas: service.replicas } };
    case 'global':
      return { Global: {} };
    case 'replicated-job':
      // As docker stack deploy: as many completions as replicas, all at once.
      return { ReplicatedJob: { MaxConcurrent: service.replicas, TotalCompletions: service.replicas } };
    case 'global-job':
      return { GlobalJob: {} };
    default: {
      const never: never = mode;
      return never;
    }
  }
}

/** Whether the mode is a job's (runs to completion; Swarm refuses update and rollback configs on jobs). */
export function isJobMode(mode: Docker.ServiceMode): boolean {
  return mode.ReplicatedJob !== undefined || mode.GlobalJob !== undefined;
}

/**
 * The restart policy: `deploy.restart_policy` when written, else `restart:` as docker stack deploy
 * reads it (`no`: Swarm's default, `any`; `always`/`unless-stopped`: any; `on-failure[:N]`). A job
 * with neither fails on its first failure (condition `none`), so a broken one-shot is reported at once.
 */
export function restartPolicy(service: Service, job: boolean): Docker.TaskRestartPolicy | undefined {
  const written = service.deploy?.restart_policy;
  if (written) return fromDeploy(written);
  if (job && service.restart.policy === 'no') return { Condition: 'none' };
  return fromRestart(service.restart);
}

function fromDeploy(p: SwarmRestartPolicy): Docker.TaskRestartPolicy {
  return {
    Condition: p.condition,
    ...(p.delay !== undefined ? { Delay: p.delay * NS_PER_MS } : {}),
    ...(p.max_attempts !== undefined ? { MaxAttempts: p.max_attempts } : {}),
    ...(p.window !== undefined ? { Window: p.window * NS_PER_MS } : {}),
  };
}

function fromRestart(r: RestartPolicy): Docker.TaskRestartPolicy | undefined {
  switch (r.policy) {
    case 'no':
      return undefined;
    case 'always':
    case 'unless-stopped':
      return { Condition: 'any' };
    case 'on-failure':
      return { Condition: 'on-failure', ...(r.max_retries ? { MaxAttempts: r.max_retries } : {}) };
    default: {
      const never: never = r;
      return never;
    }
  }
}

/** `update_config` / `rollback_config` as the API's UpdateConfig; undefined when not written. */
export function updateConfig(u: UpdateConfig | undefined): Docker.UpdateConfig | undefined {
  if (u === undefined) return undefined;
  // A zero delay or monitor is left out, as the engine leaves it out of the spec it keeps.
  return {
    Parallelism: u.parallelism,
    ...(u.delay > 0 ? { Delay: u.delay * NS_PER_MS } : {}),
    ...(u.failure_action !== undefined ? { FailureAction: u.failure_action } : {}),
    ...(u.monitor > 0 ? { Monitor: u.monitor * NS_PER_MS } : {}),
    MaxFailureRatio: u.max_failure_ratio,
    // The API reads an empty order as stop-first; say it so the spec reads back as written.
    Order: u.order ?? 'stop-first',
  };
}

/** Limits (memory, cpus → NanoCPUs, pids) and reservations (memory, cpus, generic resources). */
export function resources(service: Service): Docker.ResourceRequirements | undefined {
  const { memory, cpus, pids } = service.resources;
  const r = service.reservations;
  const limits: Docker.ResourceLimits = {
    ...(cpus !== undefined ? { NanoCPUs: Math.round(cpus * 1e9) } : {}),
    ...(memory !== undefined ? { MemoryBytes: memory } : {}),
    ...(pids !== undefined ? { Pids: pids } : {}),
  };
  const generic = (r.generic_resources ?? []).flatMap(genericResource);
  const reservations: Docker.Resources = {
    ...(r.cpus !== undefined ? { NanoCPUs: Math.round(r.cpus * 1e9) } : {}),
    ...(r.memory !== undefined ? { MemoryBytes: r.memory } : {}),
    ...(generic.length > 0 ? { GenericResources: generic } : {}),
  };
  const out: Docker.ResourceRequirements = {
    ...(Object.keys(limits).length > 0 ? { Limits: limits } : {}),
    ...(Object.keys(reservations).length > 0 ? { Reservations: reservations } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Compose's `discrete_resource_spec` / `named_resource_spec` entries as the API's generic resources. */
function genericResource(entry: Record<string, unknown>): Docker.GenericResource[] {
  const spec = (key: string) => entry[key] as { kind?: unknown; value?: unknown } | undefined;
  const discrete = spec('discrete_resource_spec');
  if (discrete) return [{ DiscreteResourceSpec: { Kind: String(discrete.kind), Value: Number(discrete.value) } } as unknown as Docker.GenericResource];
  const named = spec('named_resource_spec');
  if (named) return [{ NamedResourceSpec: { Kind: String(named.kind), Value: String(named.value) } } as unknown as Docker.GenericResource];
  return [];
}

/** Placement: constraints, spread preferences, max replicas per node, and `platform:` as a platform filter. */
export function placement(service: Service): Docker.Placement | undefined {
  const p = service.deploy?.placement;
  const platforms = service.platform ? [platformOf(service.platform)] : [];
  const out: Docker.Placement = {
    ...(p?.constraints.length ? { Constraints: [...p.constraints] } : {}),
    ...(p?.preferences.length ? { Preferences: p.preferences.map((d) => ({ Spread: { SpreadDescriptor: d } })) } : {}),
    ...(p?.max_replicas_per_node !== undefined ? { MaxReplicas: p.max_replicas_per_node } : {}),
    ...(platforms.length > 0 ? { Platforms: platforms } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `linux/arm64` → the API's {OS, Architecture}. */
function platformOf(platform: string): { OS: string; Architecture: string } {
  const [os = 'linux', arch = ''] = platform.split('/');
  return { OS: os, Architecture: arch };
}

/**
 * The endpoint: resolution mode (`vip` is Swarm's default and needs IPVS in the kernel; `dnsrr`
 * gives each task's address by DNS) and published ports, sorted as docker stack deploy sorts them
 * so an unchanged file gives an unchanged spec. A port without a published number gets one from Swarm.
 */
export function endpointSpec(service: Service): Docker.EndpointSpec {
  const ports = service.ports.map(portConfig).sort(comparePorts);
  return {
    ...(service.deploy?.endpoint_mode !== undefined ? { Mode: service.deploy.endpoint_mode } : {}),
    ...(ports.length > 0 ? { Ports: ports } : {}),
  };
}

function portConfig(p: PortMapping): Docker.PortConfig {
  return {
    Protocol: p.protocol,
    TargetPort: p.target,
    ...(p.published !== undefined ? { PublishedPort: p.published } : {}),
    PublishMode: p.mode ?? 'ingress',
  };
}

function comparePorts(a: Docker.PortConfig, b: Docker.PortConfig): number {
  return (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0) || (a.TargetPort ?? 0) - (b.TargetPort ?? 0) || String(a.Protocol).localeCompare(String(b.Protocol));
}
