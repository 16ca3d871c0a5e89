import { BlockList, isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cidrContains } from './cidr-contains.js';
import { ipVersion } from './ip-address.js';

/** Addresses and near misses: node:net's isIP is the reference the config code used before. */
const CASES = [
  '', '0.0.0.0', '127.0.0.1', '255.255.255.255', '256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '1.2.3.-1', '1.2.3.4 ', ' 1.2.3.4',
  '1..2.3', '1.2.3.', '999.1.1.1', '10.0.0.1/24', 'a.b.c.d', '1e1.1.1.1', '0x1.1.1.1',
  '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::8', '1:2:3:4:5:6::8', '1:2:3:4:5:6:7::8',
  '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', ':::', '12345::', 'g::1', 'fe80::1%eth0', 'fe80::1%', 'fe80::1%a b', 'fe80::1%1.2', '::ffff:1.2.3.4', '::1.2.3.4',
  '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1.2.3.4::', '::ffff:1.2.3', '::ffff:256.1.1.1', '2001:db8::', '2001:DB8::A', '[::1]',
  'FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', 'host-gateway', 'localhost', '1.2.3.4%eth0', '::1%eth0', '0:0:0:0:0:0:0:0', '1:2:3:4:5:6:7:8%zone',
];

describe('ipVersion', () => {
  it.each(CASES)('takes %j as node:net does', (text) => {
    expect(ipVersion(text)).toBe(isIP(text));
  });
});

describe('cidrContains', () => {
  const pairs: [string, string][] = [
    ['10.0.0.0/8', '10.1.2.3'], ['10.0.0.0/8', '11.0.0.1'], ['10.0.0.0/8', '10.2.0.0/16'], ['10.0.0.0/16', '10.0.0.0/8'], ['192.168.1.0/24', '192.168.1.255'],
    ['192.168.1.0/24', '192.168.2.0'], ['0.0.0.0/0', '8.8.8.8'], ['10.1.2.3/32', '10.1.2.3'], ['10.1.2.3/32', '10.1.2.4'], ['10.0.0.0/8', '::1'],
    ['fd00::/8', 'fd12::1'], ['fd00::/8', 'fe80::1'], ['2001:db8::/32', '2001:db8:1::/48'], ['2001:db8::/64', '2001:db8::ffff:1.2.3.4'], ['::/0', '1::'], ['fd00::/8', '10.0.0.1'],
  ];
  it.each(pairs)('%s holds %s as node:net BlockList says', (subnet, inner) => {
    const [base, bits] = subnet.split('/') as [string, string];
    const [addr, innerBits] = inner.split('/');
    const family = isIP(base);
    let expected = false;
    if (family !== 0 && isIP(addr!) === family && !(innerBits !== undefined && Number(innerBits) < Number(bits))) {
      const list = new BlockList();
      list.addSubnet(base, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
      expected = list.check(addr!, family === 4 ? 'ipv4' : 'ipv6');
    }
    expect(cidrContains(subnet, inner)).toBe(expected);
  });

  it('refuses a prefix out of range as BlockList did', () => {
    expect(() => cidrContains('10.0.0.0/33', '10.0.0.1')).toThrow(RangeError);
    expect(() => cidrContains('fd00::/129', 'fd00::1')).toThrow(RangeError);
  });
});
