/**
 * IP address checks for the stack file, without node:net (issue 16: loading node:net, and the
 * streams it brings, was a twentieth of `stack config -q`; the config code needs only these checks).
 * They accept what node:net's isIP accepts (compared in ip-address.test.ts): dotted IPv4 without
 * leading zeros, IPv6 with one `::` at most, an IPv4 tail and a `%zone`. Pure.
 */

/** 4 or 6 for an IPv4 or IPv6 address, 0 for anything else (as node:net's isIP). */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (ipv4Value(text) !== undefined) return 4;
  return ipv6Value(text) !== undefined ? 6 : 0;
}

/** The dotted IPv4 address as a number, or undefined: four decimals of 0–255, no leading zero. */
export function ipv4Value(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** The IPv6 address (a `%zone` ignored) as a 128-bit number, or undefined. */
export function ipv6Value(text: string): bigint | undefined {
  const zone = text.indexOf('%');
  const address = zone < 0 ? text : text.slice(0, zone);
  if (zone >= 0 && !/^[0-9a-zA-Z.:-]+$/.test(text.slice(zone + 1))) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  // An IPv4 tail counts as two groups, and only at the very end.
  const last = groups[groups.length - 1]!;
  let tail: number[] = [];
  if (last.length > 0 && last[last.length - 1]!.includes('.')) {
    const v4 = ipv4Value(last.pop()!);
    if (v4 === undefined) return undefined;
    tail = [v4 >>> 16, v4 & 0xffff];
  }
  const words: number[][] = [];
  for (const half of groups) {
    const hex: number[] = [];
    for (const g of half) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      hex.push(parseInt(g, 16));
    }
    words.push(hex);
  }
  words[words.length - 1]!.push(...tail);
  const given = words.reduce((n, w) => n + w.length, 0);
  // Without `::` all eight groups are written; with it, it stands for one zero group or more.
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const all = halves.length === 1 ? words[0]! : [...words[0]!, ...new Array<number>(8 - given).fill(0), ...words[1]!];
  return all.reduce((v, w) => (v << 16n) | BigInt(w), 0n);
}
