/** Whether an address or a smaller subnet lies inside a subnet, IPv4 or IPv6. Pure. */
// ip-address.ts rather than node:net's BlockList: the config code loads no node:net (issue 16).
import { ipVersion, ipv4Value, ipv6Value } from './ip-address.js';

/** `inner` (an address, or `addr/prefix`) lies wholly inside `subnet` (`addr/prefix`). */
export function cidrContains(subnet: string, inner: string): boolean {
  const [base = '', bits = ''] = subnet.split('/');
  const [addr = '', innerBits] = inner.split('/');
  const family = ipVersion(base);
  if (family === 0 || ipVersion(addr) !== family) return false;
  const width = family === 4 ? 32 : 128;
  const prefix = Number(bits); // no prefix: 0, the whole space (as BlockList took it)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) throw new RangeError(`${subnet}: the prefix must be an integer from 0 to ${width}`);
  if (innerBits !== undefined && Number(innerBits) < prefix) return false;
  const value = (ip: string): bigint => (family === 4 ? BigInt(ipv4Value(ip)!) : ipv6Value(ip)!);
  const shift = BigInt(width - prefix);
  return value(base) >> shift === value(addr) >> shift;
}
