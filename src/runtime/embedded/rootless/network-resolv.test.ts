import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, rootlessResolvConf } from './network-resolv.js';

describe('a rootless container resolv.conf', () => {
  it('replaces loopback resolvers by the forwarder, once, where the first was', () => {
    const host = '# resolved stub\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0 trust-ad\nsearch example.org\n';
    expect(rootlessResolvConf(host, '10.0.2.3')).toBe('# resolved stub\nnameserver 10.0.2.3\noptions edns0 trust-ad\nsearch example.org\n');
  });

  it('keeps resolvers reachable through NAT', () => {
    const text = 'nameserver 192.0.2.53\nnameserver 127.0.1.1\nnameserver 2001:db8::53\n';
    expect(rootlessResolvConf(text, '10.0.2.3')).toBe('nameserver 192.0.2.53\nnameserver 10.0.2.3\nnameserver 2001:db8::53\n');
  });

  it('leaves a file without loopback resolvers unchanged', () => {
    const text = 'nameserver 10.255.255.53\n';
    expect(rootlessResolvConf(text, '10.0.2.3')).toBe(text);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.0.0.53', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['fe80::1%eth0', false],
    ['10.0.2.3', false],
    ['128.0.0.1', false],
    ['localhost', false],
  ])('%s is loopback: %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});
