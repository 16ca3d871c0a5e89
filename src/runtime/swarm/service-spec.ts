/**
 * A hafen service as a Docker Swarm ServiceSpec (the Engine API's, through dockerode's types).
 * Pure: what the swarm already holds (network ids, secret and config ids, the image's digest)
 * comes in the context. The meaning of each key is docker stack deploy's
 * (docker/cli cli/compose/convert/service.go), so a file deploys the same way with either; what
 * Swarm cannot honour is refused before anything is touched (src/planner/swarm-support.ts).
 */
import type Docker from 'dockerode';
import type { FileReference, Healthcheck, HealthcheckField, Service, Stack, Volume } from '../../config/model.js';
import { Label } from '../runtime.js';
import { endpointSpec, isJobMode, NS_PER_MS, placement, resources, restartPolicy, serviceMode, updateConfig } from './deploy-options.js';
import { projectLabels, scopedName, STACK_IMAGE_LABEL } from './stack-names.js';
import { swarmMounts } from './swarm-mounts.js';

/** A Swarm secret or config a service refers to: the swarm's id and its (content-rotated) name. */
export interface SwarmObjectRef {
  id: string;
  name: string;
}

/** What the translation needs beyond the service: names and ids on the swarm. */
export interface SwarmSpecContext {
  /** Project name: services are `<project>_<service>`, every object carries it in its labels. */
  project: string;
  /** Image reference to deploy: `name@sha256:…` once pushed, so every node runs the same bytes. */
  image: string;
  /** Network key (`default`, `backend`) → the overlay network's id or name on the swarm. */
  networks: Record<string, string>;
  /** The stack's named volumes by key (names, labels and driver options for each node's local volume). */
  volumes: Record<string, Volume>;
  /** Secret and config key → the Swarm object it was created as (see secrets.ts). */
  secrets: Record<string, SwarmObjectRef>;
  configs: Record<string, SwarmObjectRef>;
  /** Run to completion (replicated-job/global-job): another service waits for it with `service_completed_successfully`. */
  job?: boolean;
  /** `io.hafen.config-hash` of the service, so a later `up` sees whether it changed. */
  configHash?: string;
}

/** The Swarm service name of a stack service (docker stack deploy's: `<project>_<service>`). */
export function swarmServiceName(project: string, service: string): string {
  return scopedName(project, service);
}

/**
 * The services another one waits for with `service_completed_successfully`: each is deployed as
 * a job (`SwarmSpecContext.job`), so Swarm runs it to completion once instead of restarting it.
 */
export function completionGatedServices(stack: Pick<Stack, 'services'>): Set<string> {
  const gated = new Set<string>();
  for (const s of Object.values(stack.services)) {
    for (const [dep, d] of Object.entries(s.depends_on)) if (d.condition === 'service_completed_successfully') gated.add(dep);
  }
  return gated;
}

/** The whole ServiceSpec of one service. */
export function swarmServiceSpec(service: Service, ctx: SwarmSpecContext): Docker.ServiceSpec {
  const mode = serviceMode(service, ctx.job ?? false);
  const job = isJobMode(mode);
  const restart = restartPolicy(service, job);
  const res = resources(service);
  const place = placement(service);
  const update = job ? undefined : updateConfig(service.deploy?.update_config);
  const rollback = job ? undefined : updateConfig(service.deploy?.rollback_config);
  const serviceLabels = {
    ...projectLabels(ctx.project, service.deploy?.labels),
    [Label.service]: service.name,
    [STACK_IMAGE_LABEL]: service.image ?? ctx.image,
    ...(ctx.configHash !== undefined ? { [Label.configHash]: ctx.configHash } : {}),
  };
  const task: Docker.ContainerTaskSpec = {
    ContainerSpec: containerSpec(service, ctx) as Docker.ContainerSpec,
    ...(res ? { Resources: res } : {}),
    ...(restart ? { RestartPolicy: restart } : {}),
    ...(place ? { Placement: place } : {}),
    Networks: networkAttachments(service, ctx),
    ...(service.logging ? { LogDriver: { Name: service.logging.driver, Options: { ...service.logging.options } } } : {}),
  };
  return {
    Name: swarmServiceName(ctx.project, service.name),
    Labels: serviceLabels,
    TaskTemplate: task,
    Mode: mode,
    ...(update ? { UpdateConfig: update } : {}),
    ...(rollback ? { RollbackConfig: rollback } : {}),
    EndpointSpec: endpointSpec(service),
  };
}

/**
 * The Engine API's ContainerSpec: its healthcheck key is `Healthcheck` (dockerode's type spells it
 * `HealthCheck`, which the engine also reads, but never gives back: a spec read from the engine
 * would then never equal the one sent).
 */
export type SwarmContainerSpec = Omit<Docker.ContainerSpec, 'HealthCheck'> & { Healthcheck?: Docker.HealthConfig };

function containerSpec(service: Service, ctx: SwarmSpecContext): SwarmContainerSpec {
  const dns = {
    ...(service.dns.length ? { Nameservers: [...service.dns] } : {}),
    ...(service.dns_search.length ? { Search: [...service.dns_search] } : {}),
    ...(service.dns_opt.length ? { Options: [...service.dns_opt] } : {}),
  };
  const mounts = swarmMounts(service, { project: ctx.project, volumes: ctx.volumes });
  const hosts = Object.entries(service.extra_hosts).map(([host, ip]) => `${ip} ${host}`);
  const ulimits = Object.entries(service.ulimits ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }));
  return {
    Image: ctx.image,
    Labels: { ...projectLabels(ctx.project, service.labels), [Label.service]: service.name },
    // Swarm's Command is the entrypoint and Args the command, as docker stack deploy maps them.
    ...(service.entrypoint !== undefined ? { Command: [...service.entrypoint] } : {}),
    ...(service.command !== undefined ? { Args: [...service.command] } : {}),
    ...(service.hostname !== undefined ? { Hostname: service.hostname } : {}),
    // Sorted, so an unchanged file gives an unchanged spec and no needless rolling update.
    Env: Object.entries(service.environment)
      .map(([k, v]) => `${k}=${v}`)
      .sort(),
    ...(service.working_dir !== undefined ? { Dir: service.working_dir } : {}),
    ...(service.user !== undefined ? { User: service.user } : {}),
    ...(service.group_add?.length ? { Groups: [...service.group_add] } : {}),
    ...(service.init ? { Init: true } : {}),
    ...(service.tty ? { TTY: true } : {}),
    ...(service.stdin_open ? { OpenStdin: true } : {}),
    ...(service.read_only ? { ReadOnly: true } : {}),
    ...(mounts.length ? { Mounts: mounts as unknown as Docker.MountSettings[] } : {}),
    StopGracePeriod: service.stop_grace_period * NS_PER_MS,
    ...(service.stop_signal !== undefined ? { StopSignal: service.stop_signal } : {}),
    ...(service.healthcheck ? { Healthcheck: swarmHealthcheck(service.healthcheck) } : {}),
    ...(hosts.length ? { Hosts: hosts } : {}),
    ...(Object.keys(dns).length ? { DNSConfig: dns } : {}),
    ...(service.secrets.length ? { Secrets: service.secrets.map((r) => secretReference(r, ctx)).sort(byName) } : {}),
    ...(service.configs.length ? { Configs: service.configs.map((r) => configReference(r, ctx)).sort(byName) } : {}),
    ...(service.sysctls && Object.keys(service.sysctls).length ? { Sysctls: { ...service.sysctls } } : {}),
    ...(service.cap_add.length ? { CapabilityAdd: [...service.cap_add] } : {}),
    ...(service.cap_drop.length ? { CapabilityDrop: [...service.cap_drop] } : {}),
    ...(ulimits.length ? { Ulimits: ulimits } : {}),
  };
}

/**
 * The healthcheck in nanoseconds; fields the file left out are not sent, and the engine fills
 * them from the image's HEALTHCHECK. Disabled is `["NONE"]`, which switches the image's off too.
 * start_interval is not sent: dockerd 20.10 (API 1.41) has no StartInterval.
 */
export function swarmHealthcheck(h: Healthcheck): Docker.HealthConfig {
  if (h.test[0] === 'NONE') return { Test: ['NONE'] };
  const own = (field: HealthcheckField) => !h.fromImage?.includes(field);
  // Zero and empty mean "the image's" and are left out, as the engine leaves them out of the spec it keeps.
  return {
    ...(own('test') && h.test.length > 0 ? { Test: [...h.test] } : {}),
    ...(own('interval') && h.interval > 0 ? { Interval: h.interval * NS_PER_MS } : {}),
    ...(own('timeout') && h.timeout > 0 ? { Timeout: h.timeout * NS_PER_MS } : {}),
    ...(own('retries') && h.retries > 0 ? { Retries: h.retries } : {}),
    ...(own('start_period') && h.start_period > 0 ? { StartPeriod: h.start_period * NS_PER_MS } : {}),
  };
}

/**
 * The service's networks, each with the aliases written plus the service's own name, so other
 * services reach it as `db` (Swarm's DNS knows it as `<project>_db` only); sorted by target.
 */
function networkAttachments(service: Service, ctx: SwarmSpecContext): Docker.NetworkAttachmentConfig[] {
  return Object.entries(service.networks)
    .map(([key, n]) => ({
      Target: ctx.networks[key] ?? scopedName(ctx.project, key),
      Aliases: [...new Set([...n.aliases, service.name])],
    }))
    .sort((a, b) => a.Target.localeCompare(b.Target));
}

/** A secret's file: under /run/secrets/ by its relative name (where Swarm puts it), elsewhere by its absolute path. */
function secretReference(ref: FileReference, ctx: SwarmSpecContext): Docker.SecretReference {
  const obj = objectRef('secret', ref.source, ctx.secrets);
  const name = ref.target.startsWith('/run/secrets/') ? ref.target.slice('/run/secrets/'.length) : ref.target;
  return { File: fileTarget(ref, name), SecretID: obj.id, SecretName: obj.name };
}

function configReference(ref: FileReference, ctx: SwarmSpecContext): Docker.ConfigReference {
  const obj = objectRef('config', ref.source, ctx.configs);
  return { File: fileTarget(ref, ref.target) as { Name: string; UID: string; GID: string; Mode: number }, ConfigID: obj.id, ConfigName: obj.name };
}

/** Owner root and mode 0444 unless written, as docker stack deploy gives them. */
function fileTarget(ref: FileReference, name: string): { Name: string; UID: string; GID: string; Mode: number } {
  return { Name: name, UID: String(ref.uid ?? 0), GID: String(ref.gid ?? 0), Mode: ref.mode ?? 0o444 };
}

function objectRef(kind: 'secret' | 'config', key: string, refs: Record<string, SwarmObjectRef>): SwarmObjectRef {
  const ref = refs[key];
  // The deployer creates every referenced object before the spec is made; a gap is a bug, not bad input.
  if (!ref) throw new Error(`internal: no swarm ${kind} was made for "${key}"`);
  return ref;
}

function byName<T extends { SecretName?: string; ConfigName?: string }>(a: T, b: T): number {
  return (a.SecretName ?? a.ConfigName ?? '').localeCompare(b.SecretName ?? b.ConfigName ?? '');
}
