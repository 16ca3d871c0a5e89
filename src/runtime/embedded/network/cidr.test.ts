import { describe, expect, it } from 'vitest';
import { contains, formatCidr, formatIpv4, overlaps, parseCidr, parseIpv4, split } from './cidr.js';

describe('cidr', () => {
  it.each([
    ['10.89.0.0/24', false, '10.89.0.0/24'],
    ['10.89.0.7/24', false, '10.89.0.0/24'],
    ['10.89.0.7/24', true, undefined],
    ['192.0.2.2', false, '192.0.2.2/32'],
    ['0.0.0.0/0', true, '0.0.0.0/0'],
    ['10.89.0.0/33', false, undefined],
    ['10.89.0/24', false, undefined],
    ['256.1.1.1/8', false, undefined],
    ['10.89.0.0/24/1', false, undefined],
  ])('parseCidr(%s, strict %s) → %s', (text, strict, want) => {
    const c = parseCidr(text, strict);
    expect(c && formatCidr(c)).toBe(want);
  });

  it('round-trips addresses', () => {
    expect(formatIpv4(parseIpv4('255.254.1.0')!)).toBe('255.254.1.0');
    expect(parseIpv4('1.2.3')).toBeUndefined();
  });

  it.each([
    ['10.89.0.0/24', '10.89.0.0/16', true],
    ['10.89.1.0/24', '10.89.0.0/24', false],
    ['10.0.0.0/8', '10.89.3.0/24', true],
    ['172.29.0.0/16', '10.89.0.0/16', false],
  ])('overlaps(%s, %s) = %s', (a, b, want) => {
    expect(overlaps(parseCidr(a)!, parseCidr(b)!)).toBe(want);
  });

  it('splits a range and tells membership', () => {
    const subnets = [...split(parseCidr('10.89.0.0/22')!, 24)].map(formatCidr);
    expect(subnets).toEqual(['10.89.0.0/24', '10.89.1.0/24', '10.89.2.0/24', '10.89.3.0/24']);
    expect(contains(parseCidr('10.89.2.0/24')!, parseIpv4('10.89.2.255')!)).toBe(true);
    expect(contains(parseCidr('10.89.2.0/24')!, parseIpv4('10.89.3.0')!)).toBe(false);
  });
});
