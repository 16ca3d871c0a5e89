/**
 * The networking part of a ContainerSpec that goes beyond the stack's networks: `network_mode`,
 * `dns*`, `domainname` and the MAC addresses. Pure.
 */
import type { Service, Stack } from '../config/model.js';
import { containerName } from '../planner/instances.js';
import type { ContainerSpec } from '../runtime/runtime.js';
import { serviceNetworks } from '../planner/resources.js';

/** The spec fields for a service's network_mode, resolver and domain name. */
export function networkingSpec(stack: Stack, service: Service): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  const mode = service.network_mode;
  if (mode) {
    switch (mode.kind) {
      case 'host':
      case 'none':
        out.networkMode = { kind: mode.kind };
        break;
      case 'service':
        // Compose joins the first container of the service.
        out.networkMode = { kind: 'container', container: containerName(stack.name, mode.service, 1) };
        break;
      case 'container':
        out.networkMode = { kind: 'container', container: mode.container };
        break;
      default: {
        const never: never = mode;
        return never;
      }
    }
  }
  if (service.dns.length > 0) out.dns = [...service.dns];
  if (service.dns_search.length > 0) out.dnsSearch = [...service.dns_search];
  if (service.dns_opt.length > 0) out.dnsOptions = [...service.dns_opt];
  if (service.domainname !== undefined) out.domainname = service.domainname;
  return out;
}

/**
 * The MAC address on network `key`: its own `mac_address`, else the service-level one on the first
 * network (where Docker puts it), else none (the runtime makes one).
 */
export function endpointMac(service: Service, key: string): { macAddress?: string } {
  const own = service.networks[key]?.mac_address;
  if (own) return { macAddress: own };
  if (service.mac_address && serviceNetworks(service)[0] === key) return { macAddress: service.mac_address };
  return {};
}
