/**
 * Issue 18: what a Docker Swarm cannot honour of a service (rows of SUPPORT_RULES for runtime
 * `swarm`). docker stack deploy drops most of these with a warning or none (docker/cli's
 * UnsupportedProperties: build, cgroup_parent, devices, domainname, external_links, ipc, links,
 * mac_address, network_mode, pid, privileged, security_opt, shm_size, userns_mode; container_name);
 * hafen refuses them by name before anything is made, and says what to do.
 */
import type { FileObject, FileReference, Service, Stack } from '../config/model.js';
import { ALL_INTERFACES, DEFAULT_HOST_IP } from '../config/ports.js';
import { namesRegistry } from '../orchestrator/push-targets.js';
import { parseTmpfsEntry } from '../runtime/swarm/swarm-mounts.js';
import type { SupportRule } from './runtime-support.js';

/** A key Swarm's task spec has no place for: refused when `isSet`, with why and what to do. */
function missing(key: string, isSet: (s: Service) => boolean, why: string, todo: string): SupportRule {
  return { runtime: 'swarm', key, refuse: (s) => (isSet(s) ? `${key} ${why}` : undefined), todo };
}

const NO_FIELD = 'has no counterpart in a Swarm service (docker stack deploy ignores it)';
const REMOVE = 'remove it, or use --runtime docker';
const CPU_TODO = 'set limits with deploy.resources.limits (cpus, memory, pids), or use --runtime docker';

/** The first secret or config with no data to create it from (an unset variable), and why. */
function missingData(kind: 'secret' | 'config', refs: FileReference[], defs: Record<string, FileObject>): string | undefined {
  for (const ref of refs) {
    const def = defs[ref.source];
    if (def && !def.external && def.environment !== undefined && def.value === undefined) return `${kind} "${ref.source}" reads the environment variable ${def.environment}, which is not set`;
  }
  return undefined;
}

/**
 * How a service's image reaches a swarm's nodes: `pull` when they pull it as named; one built or
 * imported here is pushed to a registry (its `image:` names one, or `x-hafen-registry` /
 * `--registry` does) or loaded into each node's engine under `ships:`; undefined: no way.
 */
export function swarmImageRoute(s: Service, stack: Stack): 'pull' | 'registry' | 'ships' | undefined {
  const imported = /^(docker-archive|oci):/.test(s.image ?? '');
  if (s.build === undefined && !imported) return 'pull';
  if (stack.registry !== undefined || (!imported && s.image !== undefined && namesRegistry(s.image))) return 'registry';
  return Object.keys(stack.ships).length > 0 ? 'ships' : undefined;
}

/** Ports naming a host address: Swarm publishes on every address of a node (ingress or host mode). */
function boundAddress(s: Service, stack: Stack): string | undefined {
  const written = !stack.ports_without_address?.includes(s.name);
  const port = s.ports.find((p) => p.host_ip !== ALL_INTERFACES && p.host_ip !== '::' && (written || p.host_ip !== DEFAULT_HOST_IP));
  if (!port) return undefined;
  return `port ${port.target} is bound to ${port.host_ip}, but Swarm publishes on every address of a node`;
}

/** A network of the service written with `driver: overlay`, which only a swarm has, and why. */
function overlayNetwork(s: Service, stack: Stack): string | undefined {
  const key = Object.keys(s.networks).find((k) => stack.networks[k]?.driver === 'overlay' && !stack.networks[k]!.external);
  return key === undefined ? undefined : `network "${key}" has driver: overlay, which needs a swarm`;
}

/** Rows for SUPPORT_RULES. */
export const SWARM_RULES: readonly SupportRule[] = [
  // Without a swarm: an overlay network cannot be made (docker compose up fails the same way, later).
  ...(['embedded', 'docker'] as const).map((runtime): SupportRule => ({ runtime, key: 'networks', refuse: overlayNetwork, todo: 'use --runtime swarm, or remove driver: overlay (a bridge network is the default)' })),
  missing('container_name', (s) => s.container_name !== undefined, 'cannot be kept: Swarm names each task\'s container itself', 'remove it; other services reach this one by its service name'),
  missing('links', (s) => s.links.length > 0, NO_FIELD, 'remove them: services on a shared network reach each other by name and aliases (networks.NAME.aliases)'),
  missing('external_links', (s) => (s.external_links?.length ?? 0) > 0, NO_FIELD, 'attach the service to an external network the other containers are on'),
  missing('volumes_from', (s) => s.volumes_from.length > 0, NO_FIELD, 'mount the same named volume in both services'),
  missing('devices', (s) => (s.devices?.length ?? 0) > 0, NO_FIELD, REMOVE),
  missing('device_cgroup_rules', (s) => (s.device_cgroup_rules?.length ?? 0) > 0, NO_FIELD, REMOVE),
  missing('privileged', (s) => s.privileged, 'is not available to Swarm services', 'grant what it needs with cap_add, or use --runtime docker'),
  missing('security_opt', (s) => (s.security_opt?.length ?? 0) > 0, NO_FIELD, REMOVE),
  missing('ipc', (s) => s.ipc !== undefined, NO_FIELD, REMOVE),
  missing('pid', (s) => s.pid !== undefined, NO_FIELD, REMOVE),
  missing('uts', (s) => s.uts !== undefined, NO_FIELD, REMOVE),
  missing('userns_mode', (s) => s.userns_mode !== undefined, NO_FIELD, REMOVE),
  missing('network_mode', (s) => s.network_mode !== undefined, NO_FIELD, 'attach the service to stack networks (networks:), or use --runtime docker'),
  missing('shm_size', (s) => s.shm_size !== undefined, NO_FIELD, 'mount a tmpfs at /dev/shm with a size instead (volumes: [{type: tmpfs, target: /dev/shm, tmpfs: {size: …}}])'),
  missing('cgroup_parent', (s) => s.cgroup_parent !== undefined, NO_FIELD, REMOVE),
  missing('domainname', (s) => s.domainname !== undefined, NO_FIELD, 'give the hostname in full (hostname:), or use --runtime docker'),
  missing('mac_address', (s) => s.mac_address !== undefined || Object.values(s.networks).some((n) => n.mac_address !== undefined), 'cannot be fixed: Swarm gives each task its interfaces', 'remove it'),
  {
    runtime: 'swarm',
    key: 'networks',
    refuse: (s) => {
      const fixed = Object.entries(s.networks).find(([, n]) => n.ipv4_address !== undefined || n.ipv6_address !== undefined);
      return fixed ? `a fixed address on network "${fixed[0]}" cannot be kept: Swarm gives each task an address from the overlay's subnet` : undefined;
    },
    todo: 'remove ipv4_address/ipv6_address and reach the service by name',
  },
  missing('cpu_shares', (s) => s.cpu_shares !== undefined, NO_FIELD, CPU_TODO),
  missing('cpu_quota', (s) => s.cpu_quota !== undefined, NO_FIELD, CPU_TODO),
  missing('cpu_period', (s) => s.cpu_period !== undefined, NO_FIELD, CPU_TODO),
  missing('cpu_count', (s) => s.cpu_count !== undefined, NO_FIELD, CPU_TODO),
  missing('cpu_percent', (s) => s.cpu_percent !== undefined, NO_FIELD, CPU_TODO),
  missing('cpuset', (s) => s.cpuset !== undefined, NO_FIELD, CPU_TODO),
  missing('memswap_limit', (s) => s.memswap_limit !== undefined, NO_FIELD, CPU_TODO),
  missing('mem_swappiness', (s) => s.mem_swappiness !== undefined, NO_FIELD, REMOVE),
  missing('oom_score_adj', (s) => s.oom_score_adj !== undefined, 'needs Engine API 1.46; dockerd 20.10 has no place for it in a Swarm service', REMOVE),
  missing('blkio_config', (s) => s.blkio_config !== undefined, NO_FIELD, REMOVE),
  missing('storage_opt', (s) => s.storage_opt !== undefined, NO_FIELD, REMOVE),
  missing('runtime', (s) => s.runtime !== undefined, 'cannot be chosen per Swarm service (each node\'s engine uses its default OCI runtime)', 'remove it'),
  missing('annotations', (s) => Object.keys(s.annotations).length > 0, NO_FIELD, REMOVE),
  missing('ship', (s) => s.ship !== undefined, 'names one Docker engine, but Swarm places tasks itself', 'use deploy.placement.constraints (node.hostname == …, node.labels.…) instead'),
  missing('deploy.resources.reservations.pids', (s) => s.reservations.pids !== undefined, 'is not something Swarm reserves', 'remove it; deploy.resources.limits.pids limits processes'),
  missing('deploy.resources.reservations.devices', (s) => s.reservations.devices !== undefined, 'are not given to Swarm services (device requests are for docker run)', 'use deploy.resources.reservations.generic_resources with node resources, or use --runtime docker'),
  {
    runtime: 'swarm',
    key: 'deploy.update_config',
    refuse: (s) => (s.deploy?.update_config && s.deploy.mode.endsWith('-job') ? `a ${s.deploy.mode} runs to completion and is never updated in place` : undefined),
    todo: 'remove update_config (and rollback_config), or use mode replicated/global',
  },
  {
    runtime: 'swarm',
    key: 'deploy.rollback_config',
    refuse: (s) => (s.deploy?.rollback_config && s.deploy.mode.endsWith('-job') ? `a ${s.deploy.mode} runs to completion and is never rolled back` : undefined),
    todo: 'remove rollback_config, or use mode replicated/global',
  },
  { runtime: 'swarm', key: 'ports', refuse: boundAddress, todo: 'remove host_ip (publish with mode: host to use only the node running the task), or use --runtime docker' },
  {
    runtime: 'swarm',
    key: 'tmpfs',
    refuse: (s) => {
      const other = s.tmpfs.map(parseTmpfsEntry).find((t) => t.other.length > 0);
      return other ? `tmpfs option ${other.other[0]} on ${other.target} is not one a Swarm tmpfs mount takes (only size and mode)` : undefined;
    },
    todo: 'keep size= and mode= only',
  },
  {
    runtime: 'swarm',
    key: 'image',
    refuse: (s) => (s.image === 'host' || s.image === 'scratch' ? `image "${s.image}" is the embedded runtime's own; a swarm node has no such image` : undefined),
    todo: 'name an image the nodes can pull, or use --runtime embedded',
  },
  // A built image (key build) or an imported one (key image) no node has, with no way to bring it there.
  ...(['build', 'image'] as const).map((key): SupportRule => ({
    runtime: 'swarm',
    key,
    refuse: (s, stack) =>
      (key === 'build') === (s.build !== undefined) && swarmImageRoute(s, stack) === undefined
        ? `an image ${key === 'build' ? 'built' : 'imported'} here is not on the swarm's nodes, and the file names no registry to push it to nor node engines to load it into`
        : undefined,
    todo: 'name a registry with x-hafen-registry: HOST:PORT (or up --registry), or give each node\'s engine under ships:',
  })),
  { runtime: 'swarm', key: 'secrets', refuse: (s, stack) => missingData('secret', s.secrets, stack.secrets), todo: 'set the variable (in the environment or .env), or give the secret file:' },
  { runtime: 'swarm', key: 'configs', refuse: (s, stack) => missingData('config', s.configs, stack.configs), todo: 'set the variable (in the environment or .env), or give the config file: or content:' },
];
