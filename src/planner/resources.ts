/**
 * How a stack's things are named on the runtime and in plans: `network:shop_default`,
 * `volume:shop_data`, `image:shop-api`, `container:shop-api-1`, `service:api`.
 */
import { DEFAULT_NETWORK, type Service, type Stack } from '../config/model.js';

/** Runtime name of a stack network: its `name:`, else `<project>_<key>` (normalization fills it in). */
export function networkName(stack: Stack, key: string): string {
  return stack.networks[key]?.name ?? `${stack.name}_${key}`;
}

/** Runtime name of a stack volume: its `name:`, else `<project>_<key>` (normalization fills it in). */
export function volumeName(stack: Stack, key: string): string {
  return stack.volumes[key]?.name ?? `${stack.name}_${key}`;
}

/** The networks a service joins: the ones it names, else the default one; none with a `network_mode`. */
export function serviceNetworks(service: Service): string[] {
  if (service.network_mode) return [];
  const names = Object.keys(service.networks);
  return names.length > 0 ? names : [DEFAULT_NETWORK];
}

/** The named stack volumes a service mounts (not binds, tmpfs or anonymous volumes), each once. */
export function serviceVolumes(stack: Stack, service: Service): string[] {
  const out = new Set<string>();
  for (const mount of service.volumes) {
    if (mount.type === 'volume' && mount.source !== undefined && stack.volumes[mount.source]) out.add(mount.source);
  }
  return [...out];
}

/**
 * The stack's own (not external) networks the given services join, by key: an undeclared default
 * network first, then the declared ones in file order.
 */
export function networksUsed(stack: Stack, services: Iterable<string>): string[] {
  const used = new Set<string>();
  for (const name of services) for (const key of serviceNetworks(stack.services[name]!)) used.add(key);
  const declared = Object.keys(stack.networks);
  const order = [...(stack.networks[DEFAULT_NETWORK] ? [] : [DEFAULT_NETWORK]), ...declared];
  return order.filter((key) => used.has(key) && !stack.networks[key]?.external);
}

/** The stack's own (not external) named volumes the given services mount, by key, in file order. */
export function volumesUsed(stack: Stack, services: Iterable<string>): string[] {
  const used = new Set<string>();
  for (const name of services) for (const key of serviceVolumes(stack, stack.services[name]!)) used.add(key);
  return Object.keys(stack.volumes).filter((key) => used.has(key) && !stack.volumes[key]!.external);
}

/** Where a service's image comes from. */
export type ImageSource =
  | { kind: 'build'; ref: string }
  | { kind: 'pull'; ref: string }
  | { kind: 'import'; ref: string; format: 'docker-archive' | 'oci'; path: string }
  /** `host`, `scratch`: nothing to fetch. */
  | { kind: 'builtin'; ref: string };

/** The image a service runs and how it is obtained; a built image is tagged `image:` or `<project>-<service>`. */
export function imageSource(stack: Stack, service: Service): ImageSource {
  if (service.build) return { kind: 'build', ref: service.image ?? `${stack.name}-${service.name}` };
  const ref = service.image ?? 'scratch';
  if (ref === 'host' || ref === 'scratch') return { kind: 'builtin', ref };
  for (const format of ['docker-archive', 'oci'] as const) {
    if (ref.startsWith(`${format}:`)) return { kind: 'import', ref, format, path: ref.slice(format.length + 1) };
  }
  return { kind: 'pull', ref };
}

/** Plan resource names. */
export const resource = {
  network: (runtimeName: string): string => `network:${runtimeName}`,
  volume: (runtimeName: string): string => `volume:${runtimeName}`,
  image: (ref: string): string => `image:${ref}`,
  container: (name: string): string => `container:${name}`,
  service: (name: string): string => `service:${name}`,
};
