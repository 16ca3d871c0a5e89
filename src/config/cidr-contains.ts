/** Whether an address or a smaller subnet lies inside a subnet, IPv4 or IPv6. Pure. */
import { BlockList, isIP } from 'node:net';

/** `inner` (an address, or `addr/prefix`) lies wholly inside `subnet` (`addr/prefix`). */
export function cidrContains(subnet: string, inner: string): boolean {
  const [base = '', bits = ''] = subnet.split('/');
  const [addr = '', innerBits] = inner.split('/');
  const family = isIP(base);
  if (family === 0 || isIP(addr) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const prefix = Number(bits);
  if (innerBits !== undefined && Number(innerBits) < prefix) return false;
  const list = new BlockList();
  list.addSubnet(base, prefix, type);
  return list.check(addr, type);
}
