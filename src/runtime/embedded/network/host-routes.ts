/** The IPv4 subnets the host already uses (its routes in every table and its addresses), which a stack network must avoid. */
import { parseCidr, type Cidr } from './cidr.js';
import { ipJson } from './ip-command.js';

/** A subnet in use on the host, and what uses it (for messages). */
export interface HostSubnet {
  cidr: Cidr;
  /** e.g. `route 192.0.2.0/24 dev eth0`, `address 10.89.0.1/24 on dummy0`. */
  source: string;
}

interface RouteJson {
  dst?: string;
  dev?: string;
  type?: string;
}
interface AddrJson {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Parses `ip -j -4 route show table all` and `ip -j -4 addr show` output. Pure. */
export function parseHostSubnets(routes: unknown, addrs: unknown): HostSubnet[] {
  const out: HostSubnet[] = [];
  for (const r of (Array.isArray(routes) ? routes : []) as RouteJson[]) {
    // The default route covers everything and says nothing about which subnets are taken.
    if (!r.dst || r.dst === 'default' || r.type === 'multicast') continue;
    const cidr = parseCidr(r.dst);
    if (cidr && cidr.prefix > 0) out.push({ cidr, source: `route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}` });
  }
  for (const link of (Array.isArray(addrs) ? addrs : []) as AddrJson[]) {
    for (const a of link.addr_info ?? []) {
      if (a.family !== 'inet' || !a.local) continue;
      const cidr = parseCidr(`${a.local}/${a.prefixlen ?? 32}`);
      if (cidr && cidr.prefix > 0) out.push({ cidr, source: `address ${a.local}/${a.prefixlen ?? 32} on ${link.ifname ?? '?'}` });
    }
  }
  return out;
}

/** The subnets in use on this host (two `ip -j` runs, in parallel). */
export async function readHostSubnets(): Promise<HostSubnet[]> {
  const [routes, addrs] = await Promise.all([ipJson(['-4', 'route', 'show', 'table', 'all']), ipJson(['-4', 'addr', 'show'])]);
  return parseHostSubnets(routes, addrs);
}
