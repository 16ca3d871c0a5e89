/**
 * What each runtime cannot do of Compose's networking keys: one block of SUPPORT_RULES (see
 * runtime-support.ts). Pure.
 */
import type { RuntimeName, Service, Stack } from '../config/model.js';
import { formatNetworkMode } from '../config/networking.js';
import type { SupportRule } from './runtime-support.js';
import { serviceNetworks, serviceVolumes } from './resources.js';

/** A network_mode that takes another container's namespace (its ports, names and resolver are that one's). */
function sharedMode(s: Service): string | undefined {
  const mode = s.network_mode;
  return mode?.kind === 'service' || mode?.kind === 'container' ? formatNetworkMode(mode) : undefined;
}

/** The first network key a service joins whose settings `why` objects to, with the reason. */
function firstNetwork(s: Service, stack: Stack, why: (key: string) => string | undefined): string | undefined {
  for (const key of serviceNetworks(s)) {
    const reason = why(key);
    if (reason) return reason;
  }
  return undefined;
}

/** What the embedded runtime's networks cannot give, for network `key`. */
function embeddedNetworkGap(stack: Stack, s: Service, key: string): string | undefined {
  const net = stack.networks[key];
  const own = s.networks[key];
  if (own?.ipv6_address) return `ipv6_address on network "${key}": the embedded runtime's networks are IPv4 only`;
  if (!net) return undefined;
  if (net.enable_ipv6) return `network "${key}" has enable_ipv6: the embedded runtime's networks are IPv4 only`;
  if (net.ipam.length > 1) return `network "${key}" has ${net.ipam.length} ipam pools: the embedded runtime gives a network one subnet`;
  const pool = net.ipam[0];
  if (pool?.ip_range) return `network "${key}" has an ip_range: the embedded runtime gives addresses from the whole subnet`;
  if (pool && Object.keys(pool.aux_addresses).length > 0) return `network "${key}" has aux_addresses: the embedded runtime does not reserve addresses`;
  if (pool?.gateway && pool.subnet && pool.gateway !== firstAddress(pool.subnet)) {
    return `network "${key}" has gateway ${pool.gateway}: the embedded runtime's gateway is the subnet's first address (${firstAddress(pool.subnet)})`;
  }
  const opts = Object.keys(net.driver_opts);
  if (opts.length > 0) return `network "${key}" has driver_opts (${opts.join(', ')}): the embedded runtime's bridge takes no driver options`;
  return undefined;
}

/** The first usable address of an IPv4 subnet (`10.5.0.0/24` → `10.5.0.1`). */
function firstAddress(subnet: string): string | undefined {
  const [base = ''] = subnet.split('/');
  const parts = base.split('.').map(Number);
  if (parts.length !== 4) return undefined;
  parts[3] = parts[3]! + 1;
  return parts.join('.');
}

/** Whether a volume's driver_opts are the local driver's bind form, which the embedded runtime binds. */
export function isBindVolume(opts: Record<string, string>): boolean {
  const keys = Object.keys(opts);
  if (keys.length === 0) return true;
  const o = (opts.o ?? '').split(',').map((x) => x.trim());
  return opts.type === 'none' && (o.includes('bind') || o.includes('rbind')) && typeof opts.device === 'string' && opts.device.startsWith('/') && keys.every((k) => ['type', 'o', 'device'].includes(k));
}

const BOTH: readonly RuntimeName[] = ['embedded', 'docker'];
const MODE_TODO = 'check it on the service that owns the network namespace, or use a log or exec ready check';

/** Keys Docker refuses next to a network_mode that shares another container's namespace. */
const SHARED_CONFLICTS: ReadonlyArray<[keyof Service & string, (s: Service) => boolean]> = [
  ['ports', (s) => s.ports.length > 0],
  ['hostname', (s) => s.hostname !== undefined],
  ['extra_hosts', (s) => Object.keys(s.extra_hosts).length > 0],
  ['dns', (s) => s.dns.length > 0],
  ['dns_search', (s) => s.dns_search.length > 0],
  ['dns_opt', (s) => s.dns_opt.length > 0],
  ['mac_address', (s) => s.mac_address !== undefined],
];

/** The networking block of SUPPORT_RULES. */
export const NETWORKING_RULES: readonly SupportRule[] = [
  // A shared namespace has the other container's ports, names and resolver: Docker refuses these with it.
  ...BOTH.flatMap((runtime) =>
    SHARED_CONFLICTS.map(([key, set]): SupportRule => ({
      runtime,
      key,
      refuse: (s) => {
        const mode = sharedMode(s);
        return mode && set(s) ? `${key} cannot be set on a service with network_mode "${mode}": the network namespace, and with it ${key === 'ports' ? 'the ports' : 'this setting'}, belongs to the other container` : undefined;
      },
      todo: key === 'ports' ? 'publish the ports on the service that owns the network namespace' : `set it on the service that owns the network namespace, or remove it`,
    })),
  ),
  // One host port, one container: Swarm's `mode: ingress`/`host` publishing spreads it (swarm may), a container engine cannot.
  ...BOTH.map((runtime): SupportRule => ({
    runtime,
    key: 'ports',
    refuse: (s) => {
      const port = s.replicas > 1 ? s.ports.find((p) => p.published !== undefined) : undefined;
      return port ? `host port ${port.published} cannot be shared by ${s.replicas} replicas` : undefined;
    },
    todo: 'publish only the container port (each replica then gets a free host port), or use --runtime swarm',
  })),
  // A container with loopback only has nothing to publish to.
  ...BOTH.map((runtime): SupportRule => ({
    runtime,
    key: 'ports',
    refuse: (s) => (s.network_mode?.kind === 'none' && s.ports.length > 0 ? 'ports cannot be published from a service with network_mode "none" (it has only a loopback)' : undefined),
    todo: 'remove ports, or the network_mode',
  })),
  // hafen's own ready checks reach a container at its address, which these modes do not give it.
  ...BOTH.map((runtime): SupportRule => ({
    runtime,
    key: 'ready',
    refuse: (s) => {
      const mode = s.network_mode;
      if (!mode || mode.kind === 'host' || (s.ready?.kind !== 'tcp' && s.ready?.kind !== 'http')) return undefined;
      return `a ${s.ready.kind} ready check cannot reach a service with network_mode "${formatNetworkMode(mode)}" (it has no address of its own)`;
    },
    todo: MODE_TODO,
  })),
  {
    runtime: 'embedded',
    key: 'networks',
    refuse: (s, stack) => firstNetwork(s, stack, (key) => embeddedNetworkGap(stack, s, key)),
    todo: 'remove the setting, or use --runtime docker',
  },
  {
    runtime: 'embedded',
    key: 'volumes',
    refuse: (s, stack) => {
      for (const key of serviceVolumes(stack, s)) {
        const vol = stack.volumes[key]!;
        if (!isBindVolume(vol.driver_opts)) {
          return `volume "${key}" has driver_opts the embedded runtime cannot mount (${JSON.stringify(vol.driver_opts)}); it binds only {type: none, o: bind, device: /absolute/path}`;
        }
      }
      return undefined;
    },
    todo: 'use a bind mount or the bind form of driver_opts, or --runtime docker',
  },
  {
    runtime: 'docker',
    key: 'networks',
    refuse: (s) => {
      const later = serviceNetworks(s).slice(1).find((key) => s.networks[key]?.mac_address);
      return later ? `mac_address on network "${later}": Docker 20.10's API takes a MAC address for the first network only` : undefined;
    },
    todo: 'set the MAC address on the first network the service lists',
  },
];
