/**
 * A hafen service as a Swarm ServiceSpec, reduced to what the deploy loop and its tests need (image,
 * command, entrypoint, env, networks with aliases, replicas, endpoint mode, placement, healthcheck,
 * restart policy, labels). It stands in until the full translation (service-spec.ts, issue 18 part 2)
 * is on main. Pure: no I/O.
 */
import type Docker from 'dockerode';
import type { Network, Service } from '../../config/model.js';
import { swarmLabels } from './swarm-labels.js';

/** What the translation needs beyond the service: where it goes and under which names. */
export interface MinimalSpecContext {
  project: string;
  /** The image reference to deploy. */
  image: string;
  /** Stack network key → the Swarm network's name. */
  networks: Record<string, string>;
}

/** The `deploy:` keys a Swarm reads, as the config model carries them once issue 18's spec is merged. */
interface DeployKeys {
  mode?: string;
  labels?: Record<string, string>;
  endpoint_mode?: string;
  placement?: { constraints?: string[]; preferences?: string[]; max_replicas_per_node?: number };
  restart_policy?: { condition?: string; delay?: number; max_attempts?: number; window?: number };
}

const NS = 1_000_000; // the Engine API's durations are nanoseconds; the model's are milliseconds

/** The ServiceSpec of `service` (its Swarm name `<project>_<service>`, as `docker stack deploy` names it). */
export function minimalServiceSpec(service: Service, ctx: MinimalSpecContext): Docker.ServiceSpec {
  const deploy = (service as Service & { deploy?: DeployKeys }).deploy ?? {};
  const labels = swarmLabels(ctx.project, service.name);
  const hc = service.healthcheck;
  const healthCheck: Docker.HealthConfig | undefined = hc
    ? { Test: hc.test.length > 0 ? hc.test : ['NONE'], Interval: hc.interval * NS, Timeout: hc.timeout * NS, Retries: hc.retries, StartPeriod: hc.start_period * NS }
    : undefined;
  const restart: NonNullable<DeployKeys['restart_policy']> = deploy.restart_policy ?? restartFromService(service);
  const placement = deploy.placement ?? {};
  const global = deploy.mode === 'global';
  return {
    Name: `${ctx.project}_${service.name}`,
    Labels: { ...(deploy.labels ?? {}), ...labels },
    TaskTemplate: {
      ContainerSpec: {
        Image: ctx.image,
        Labels: { ...service.labels, ...labels },
        ...(service.entrypoint ? { Command: service.entrypoint } : {}),
        ...(service.command ? { Args: service.command } : {}),
        Env: Object.entries(service.environment).map(([k, v]) => `${k}=${v}`),
        ...(service.working_dir ? { Dir: service.working_dir } : {}),
        ...(service.user ? { User: service.user } : {}),
        ...(service.init ? { Init: true } : {}),
        ...(healthCheck ? { HealthCheck: healthCheck } : {}),
        StopGracePeriod: service.stop_grace_period * NS,
      },
      RestartPolicy: {
        Condition: restart.condition ?? 'any',
        ...(restart.delay !== undefined ? { Delay: restart.delay * NS } : {}),
        ...(restart.max_attempts !== undefined ? { MaxAttempts: restart.max_attempts } : {}),
        ...(restart.window !== undefined ? { Window: restart.window * NS } : {}),
      },
      Placement: {
        ...(placement.constraints?.length ? { Constraints: placement.constraints } : {}),
        ...(placement.preferences?.length ? { Preferences: placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p } })) } : {}),
        ...(placement.max_replicas_per_node !== undefined ? { MaxReplicas: placement.max_replicas_per_node } : {}),
      },
      Networks: Object.entries(service.networks)
        .filter(([key]) => ctx.networks[key] !== undefined)
        .map(([key, n]) => ({ Target: ctx.networks[key]!, Aliases: [service.name, ...n.aliases] })),
    },
    Mode: global ? { Global: {} } : { Replicated: { Replicas: service.replicas } },
    EndpointSpec: { Mode: deploy.endpoint_mode ?? 'vip' },
  };
}

/** `restart:` as a Swarm restart policy when `deploy.restart_policy` is absent (hafen's default `no` is Swarm's `none`). */
function restartFromService(service: Service): NonNullable<DeployKeys['restart_policy']> {
  const r = service.restart;
  switch (r.policy) {
    case 'no':
      return { condition: 'none' };
    case 'on-failure':
      return { condition: 'on-failure', ...(r.max_retries !== undefined ? { max_attempts: r.max_retries } : {}) };
    case 'always':
    case 'unless-stopped':
      return { condition: 'any' };
  }
}

/** A stack network as an attachable overlay network, labelled with the project (a stand-in for network-spec.ts). */
export function minimalNetworkSpec(project: string, network: Network): Docker.NetworkCreateOptions {
  const subnets = network.ipam.filter((p) => p.subnet !== undefined);
  return {
    Name: network.name,
    Driver: 'overlay',
    Attachable: true,
    CheckDuplicate: true,
    Internal: network.internal,
    Labels: { ...network.labels, ...swarmLabels(project) },
    Options: network.driver_opts,
    ...(subnets.length > 0 ? { IPAM: { Driver: 'default', Config: subnets.map((p) => ({ Subnet: p.subnet!, ...(p.gateway ? { Gateway: p.gateway } : {}), ...(p.ip_range ? { IPRange: p.ip_range } : {}) })) } } : {}),
  };
}
