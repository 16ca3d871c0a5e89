/**
 * Networking checks that need the whole stack: `network_mode: service:X` names another service,
 * fixed addresses lie in their network's subnet, and one address is not given twice on a network.
 */
import { cidrContains } from './cidr-contains.js';
import type { Issues } from './issues.js';
import type { Stack } from './model.js';
import { didYouMean } from './suggest.js';

/** Adds every networking reference problem of the stack to `issues`. */
export function checkNetworkingReferences(stack: Stack, issues: Issues): void {
  const names = Object.keys(stack.services);
  const taken = new Map<string, string>();
  for (const [name, s] of Object.entries(stack.services)) {
    const base = `services.${name}`;
    const mode = s.network_mode;
    if (mode?.kind === 'service') {
      if (mode.service === name) issues.value(`${base}.network_mode`, `a service cannot share its own network namespace; name another service`);
      else if (!stack.services[mode.service]) issues.value(`${base}.network_mode`, `no service named "${mode.service}"${didYouMean(mode.service, names)}`);
    }
    for (const [key, n] of Object.entries(s.networks)) {
      const net = stack.networks[key];
      if (!net) continue;
      for (const [field, address] of [['ipv4_address', n.ipv4_address], ['ipv6_address', n.ipv6_address]] as const) {
        if (address === undefined) continue;
        const at = `${base}.networks.${key}.${field}`;
        const family = field === 'ipv4_address' ? '.' : ':';
        const subnets = net.ipam.flatMap((p) => (p.subnet?.includes(family) ? [p.subnet] : []));
        if (subnets.length > 0 && !subnets.some((subnet) => cidrContains(subnet, address))) {
          issues.value(at, `${address} is not in the subnet of network "${key}" (${subnets.join(', ')})`);
        } else if (subnets.length === 0 && field === 'ipv4_address' && !net.external) {
          issues.value(at, `a fixed address needs the network's subnet: add ipam: {config: [{subnet: ...}]} to network "${key}"`);
        }
        if (s.replicas > 1) issues.value(at, `a fixed address cannot be shared by ${s.replicas} replicas`);
        const owner = taken.get(`${key} ${address}`);
        if (owner) issues.value(at, `${address} is already given to service "${owner}" on network "${key}"`);
        taken.set(`${key} ${address}`, name);
      }
    }
  }
}
