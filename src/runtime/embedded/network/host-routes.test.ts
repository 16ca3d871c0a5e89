import { describe, expect, it } from 'vitest';
import { formatCidr } from './cidr.js';
import { parseHostSubnets } from './host-routes.js';

describe('parseHostSubnets', () => {
  it('takes routes of every table and addresses, skipping the default route', () => {
    const routes = [
      { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
      { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
      { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local' },
      { type: 'broadcast', dst: '192.0.2.255', dev: 'eth0', table: 'local' },
      { dst: '10.0.0.0/8', gateway: '192.0.2.9', dev: 'eth0' },
    ];
    const addrs = [{ ifname: 'dummy0', addr_info: [{ family: 'inet', local: '10.89.0.1', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] }];
    expect(parseHostSubnets(routes, addrs).map((s) => `${formatCidr(s.cidr)} ${s.source}`)).toEqual([
      '192.0.2.0/24 route 192.0.2.0/24 dev eth0',
      '127.0.0.0/8 route 127.0.0.0/8 dev lo',
      '192.0.2.255/32 route 192.0.2.255 dev eth0',
      '10.0.0.0/8 route 10.0.0.0/8 dev eth0',
      '10.89.0.0/24 address 10.89.0.1/24 on dummy0',
    ]);
  });
});
