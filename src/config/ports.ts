/** Published ports: Compose's short syntax (`"127.0.0.1:8080:80/tcp"`, ranges, IPv6) and long syntax. */
import { ipVersion as isIP } from './ip-address.js';
import { ValueError } from './issues.js';
import type { PortMapping, Protocol } from './model.js';

/** Where published ports listen unless the file says otherwise: only this machine. */
export const DEFAULT_HOST_IP = '127.0.0.1';
/** Compose's default for ports without an address (`--publish-all-interfaces`, HAFEN_PUBLISH_ALL=1). */
export const ALL_INTERFACES = '0.0.0.0';

/** Whether a `ports:` entry names the host address to listen on. */
export function namesHostIp(value: string | number | RawPortLong): boolean {
  if (typeof value === 'number') return false;
  if (typeof value === 'object') return value.host_ip !== undefined;
  const text = value.trim().replace(/\/(tcp|udp)$/, '');
  return text.startsWith('[') || text.split(':').length >= 3;
}

/** Long syntax as the schema admits it. */
export interface RawPortLong {
  target: number;
  published?: number | string;
  host_ip?: string;
  protocol?: Protocol;
  /** Issue 18, swarm: `host` or `ingress` (Swarm's publish mode); the other runtimes always publish on the host. */
  mode?: 'host' | 'ingress';
}

const SHAPE = 'expected "80", "8080:80" or "127.0.0.1:8080:80", each with an optional /tcp or /udp';

/** Expands one `ports:` entry into mappings (a range gives one per port). */
export function parsePort(value: string | number | RawPortLong, defaultIp = DEFAULT_HOST_IP): PortMapping[] {
  if (typeof value === 'number') return [mapping(checkPort(value, 'container'), undefined, defaultIp, 'tcp')];
  if (typeof value === 'object') return parseLong(value, defaultIp);
  return parseShort(value.trim(), defaultIp);
}

function parseLong(value: RawPortLong, defaultIp: string): PortMapping[] {
  const hostIp = checkIp(value.host_ip ?? defaultIp);
  const protocol = value.protocol ?? 'tcp';
  const target = checkPort(value.target, 'container');
  const withMode = (m: PortMapping): PortMapping => (value.mode === undefined ? m : { ...m, mode: value.mode });
  if (value.published === undefined) return [withMode(mapping(target, undefined, hostIp, protocol))];
  const published = typeof value.published === 'number' ? [value.published] : range(value.published, 'host', true);
  if (published.length !== 1) throw new ValueError(`a host port range needs a container port range of the same length; got published ${value.published} for target ${target}`);
  return [withMode(mapping(target, checkPort(published[0]!, 'host', true), hostIp, protocol))];
}

function parseShort(text: string, defaultIp: string): PortMapping[] {
  let rest = text;
  let protocol: Protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp') throw new ValueError(`unknown protocol "${p}" in "${text}"; expected tcp or udp`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  let hostIp = defaultIp;
  const bracketed = rest.startsWith('[');
  if (bracketed) {
    const close = rest.indexOf(']:');
    if (close < 0) throw new ValueError(`"${text}" is not a port mapping; ${SHAPE}`);
    hostIp = checkIp(rest.slice(1, close));
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (parts.length === 3 && !bracketed) hostIp = checkIp(parts.shift()!);
  if (parts.length > 2) {
    const hint = isIP(parts.slice(0, -2).join(':')) === 6 ? '; write an IPv6 address in brackets: "[::1]:8080:80"' : '';
    throw new ValueError(`"${text}" is not a port mapping; ${SHAPE}${hint}`);
  }
  const containerPorts = range(parts.at(-1)!, 'container', false);
  const hostPart = parts.length === 2 ? parts[0]! : '';
  if (hostPart === '') return containerPorts.map((t) => mapping(t, undefined, hostIp, protocol));
  const hostPorts = range(hostPart, 'host', true);
  if (hostPorts.length !== containerPorts.length) {
    throw new ValueError(`"${text}": the host and container port ranges must have the same length (${hostPorts.length} and ${containerPorts.length})`);
  }
  return containerPorts.map((t, i) => mapping(t, hostPorts[i], hostIp, protocol));
}

/** `"8000"` or `"8000-8002"` as a list of ports. */
function range(text: string, side: 'host' | 'container', zeroOk: boolean): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new ValueError(`"${text}" is not a ${side} port or range; ${SHAPE}`);
  const from = checkPort(Number(m[1]), side, zeroOk);
  const to = m[2] === undefined ? from : checkPort(Number(m[2]), side, zeroOk);
  if (to < from) throw new ValueError(`port range "${text}" ends before it starts`);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function checkPort(n: number, side: 'host' | 'container', zeroOk = false): number {
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1) || n > 65535) {
    throw new ValueError(`${side} port ${n} is out of range ${zeroOk ? 0 : 1}-65535`);
  }
  return n;
}

function checkIp(ip: string): string {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (isIP(bare) === 0) throw new ValueError(`"${ip}" is not an IP address to publish on`);
  return bare;
}

/** Host port 0 means "a free one", the same as none. */
function mapping(target: number, published: number | undefined, hostIp: string, protocol: Protocol): PortMapping {
  const m: PortMapping = { target, host_ip: hostIp, protocol };
  if (published !== undefined && published !== 0) m.published = published;
  return m;
}
