/**
 * External networks and volumes must exist before `up` touches anything: the stack neither creates
 * nor removes them. A missing one is named as Compose names it, at the place the file declares it.
 */
import type { Stack } from '../config/model.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { serviceNetworks, serviceVolumes } from '../planner/resources.js';
import type { Runtime } from '../runtime/runtime.js';

/** Throws a ConfigError naming each external network or volume `services` use that the runtime does not have. */
export async function assertExternalsExist(stack: Stack, runtime: Runtime, services: Iterable<string>): Promise<void> {
  const networks = new Set<string>();
  const volumes = new Set<string>();
  for (const name of services) {
    const service = stack.services[name];
    if (!service) continue;
    for (const key of serviceNetworks(service)) if (stack.networks[key]?.external) networks.add(key);
    for (const key of serviceVolumes(stack, service)) if (stack.volumes[key]?.external) volumes.add(key);
  }
  if (networks.size === 0 && volumes.size === 0) return;
  const issues: ConfigIssue[] = [];
  const haveNetworks = networks.size > 0 ? new Set(await runtime.listNetworks({})) : new Set<string>();
  for (const key of networks) {
    const name = stack.networks[key]!.name;
    if (!haveNetworks.has(name)) {
      issues.push({ location: stack.source.locate(`networks.${key}.external`), message: `network ${name} declared as external, but could not be found; create it first (or drop external: true to let the stack make it)` });
    }
  }
  const haveVolumes = volumes.size > 0 ? new Set(await runtime.listVolumes({})) : new Set<string>();
  for (const key of volumes) {
    const name = stack.volumes[key]!.name;
    if (!haveVolumes.has(name)) {
      issues.push({ location: stack.source.locate(`volumes.${key}.external`), message: `volume ${name} declared as external, but could not be found; create it first (or drop external: true to let the stack make it)` });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The services whose containers a plan creates or starts. */
export function plannedServices(nodes: readonly { operation: string; service?: string }[]): Set<string> {
  const out = new Set<string>();
  for (const n of nodes) if ((n.operation === 'create-container' || n.operation === 'start-container') && n.service) out.add(n.service);
  return out;
}
