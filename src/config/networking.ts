/**
 * A service's networking keys beyond the stack's networks, as Compose reads them: `network_mode`,
 * `dns`, `dns_search`, `dns_opt`, `domainname`, `mac_address`, and the per-network `ipv6_address` and
 * `mac_address`. Pure: values in, normalized values (or issues) out.
 */
import { ipVersion as isIP } from './ip-address.js';
import { ValueError, type Issues } from './issues.js';
import type { NetworkMode, Service } from './model.js';
import type { RawService, StringOrList } from './raw.js';

/** `network_mode` values that mean "the stack's networks", as Compose treats them. */
const STACK_NETWORKS = new Set(['bridge', 'default']);

/** `network_mode` as written → the mode, or undefined for the stack's own networks. */
export function parseNetworkMode(text: string): NetworkMode | undefined {
  if (STACK_NETWORKS.has(text)) return undefined;
  if (text === 'host' || text === 'none') return { kind: text };
  const [prefix, ...rest] = text.split(':');
  const target = rest.join(':');
  if (prefix === 'service' && target) return { kind: 'service', service: target };
  if (prefix === 'container' && target) return { kind: 'container', container: target };
  throw new ValueError(`expected host, none, bridge, service:NAME or container:NAME, got ${JSON.stringify(text)}`);
}

/** A mode written back as Compose writes it (`service:db`). */
export function formatNetworkMode(mode: NetworkMode): string {
  switch (mode.kind) {
    case 'host':
    case 'none':
      return mode.kind;
    case 'service':
      return `service:${mode.service}`;
    case 'container':
      return `container:${mode.container}`;
    default: {
      const never: never = mode;
      return never;
    }
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** A MAC address as `02:42:ac:11:00:02` (lowercase); `-` separators are accepted as Docker does. */
export function parseMac(text: string): string {
  const mac = text.replaceAll('-', ':').toLowerCase();
  if (!MAC.test(mac)) throw new ValueError(`expected a MAC address like 02:42:ac:11:00:02, got ${JSON.stringify(text)}`);
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new ValueError(`${text} is a multicast address (its first byte is odd); a container needs a unicast one`);
  return mac;
}

/** An IPv4 address in dotted form, checked. */
export function isIpv4(text: string): boolean {
  return isIP(text) === 4;
}

/** The networking fields of a service, normalized; problems go to `issues` under `base` (services.NAME). */
export function serviceNetworking(
  base: string,
  raw: RawService,
  issues: Issues,
): Pick<Service, 'dns' | 'dns_search' | 'dns_opt'> & Partial<Pick<Service, 'network_mode' | 'domainname' | 'mac_address'>> {
  const out: ReturnType<typeof serviceNetworking> = {
    dns: list(raw.dns),
    dns_search: list(raw.dns_search),
    dns_opt: [...(raw.dns_opt ?? [])],
  };
  out.dns.forEach((server, i) => {
    if (isIP(server) === 0) issues.value(`${base}.dns${Array.isArray(raw.dns) ? `[${i}]` : ''}`, `expected the IP address of a DNS server, got ${JSON.stringify(server)}`);
  });
  if (raw.network_mode !== undefined) {
    const mode = issues.check(`${base}.network_mode`, () => parseNetworkMode(raw.network_mode!));
    if (mode) out.network_mode = mode;
  }
  if (raw.domainname !== undefined) out.domainname = raw.domainname;
  if (raw.mac_address !== undefined) {
    const mac = issues.check(`${base}.mac_address`, () => parseMac(raw.mac_address!));
    if (mac) out.mac_address = mac;
  }
  return out;
}

function list(value: StringOrList | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/**
 * `network_mode: service:X` makes X a dependency (started first, and this one restarted when X is
 * recreated), as compose-go adds it; one written in depends_on stays as written.
 */
export function addNetworkModeDependency(base: string, service: Service, services: Record<string, Service>, issues: Issues): void {
  const mode = service.network_mode;
  if (mode?.kind !== 'service' || Object.hasOwn(service.depends_on, mode.service)) return;
  if (mode.service === service.name || !services[mode.service]) return; // named by checkNetworkingReferences
  service.depends_on[mode.service] = { condition: 'service_started', restart: true, required: true };
  issues.source.alias(`${base}.depends_on.${mode.service}`, `${base}.network_mode`);
}
