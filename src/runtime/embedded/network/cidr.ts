/** IPv4 addresses and subnets as numbers: parsing, printing, overlap and the hosts of a subnet. Pure. */

/** An IPv4 subnet: its network address as an unsigned 32-bit number and its prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** Parses a dotted quad (`10.89.0.2`), or returns undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Prints an address number as a dotted quad. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The netmask of a prefix length, as a number. */
function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Number of addresses in a subnet of this prefix. */
export function subnetSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/**
 * Parses `A.B.C.D/N` (a bare address counts as /32). With `strict`, host bits must be zero, as a
 * subnet in a stack file must be; otherwise they are masked away (host routes and addresses).
 */
export function parseCidr(text: string, strict = false): Cidr | undefined {
  const [addr, len, ...rest] = text.trim().split('/');
  if (rest.length > 0 || addr === undefined) return undefined;
  const ip = parseIpv4(addr);
  if (ip === undefined) return undefined;
  if (len !== undefined && !/^\d{1,2}$/.test(len)) return undefined;
  const prefix = len === undefined ? 32 : Number(len);
  if (prefix > 32) return undefined;
  const base = (ip & mask(prefix)) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix };
}

/** Prints a subnet as `A.B.C.D/N`. */
export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

/** Whether two subnets share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(prefix)) >>> 0) === ((b.base & mask(prefix)) >>> 0);
}

/** Whether the address `ip` lies in `c`. */
export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

/** The `index`-th address of `c` (0 is the network address). */
export function addressAt(c: Cidr, index: number): number {
  return c.base + index;
}

/** Splits `range` into consecutive subnets of length `prefix`, in address order. */
export function* split(range: Cidr, prefix: number): Generator<Cidr> {
  if (prefix < range.prefix) {
    yield range;
    return;
  }
  const count = 2 ** (prefix - range.prefix);
  const step = subnetSize(prefix);
  for (let i = 0; i < count; i++) yield { base: range.base + i * step, prefix };
}
