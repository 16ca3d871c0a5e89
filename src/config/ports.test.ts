import { describe, expect, it } from 'vitest';
import { parsePort } from './ports.js';

const p = (target: number, published?: number, host_ip = '127.0.0.1', protocol: 'tcp' | 'udp' = 'tcp') =>
  published === undefined ? { target, host_ip, protocol } : { target, published, host_ip, protocol };

describe('ports: short syntax', () => {
  it.each([
    ['5432', [p(5432)]],
    [5432, [p(5432)]],
    ['15432:5432', [p(5432, 15432)]],
    ['127.0.0.1:15432:5432/tcp', [p(5432, 15432)]],
    ['0.0.0.0:80:8080', [p(8080, 80, '0.0.0.0')]],
    ['53:53/udp', [p(53, 53, '127.0.0.1', 'udp')]],
    ['8000-8002:9000-9002', [p(9000, 8000), p(9001, 8001), p(9002, 8002)]],
    ['9000-9001', [p(9000), p(9001)]],
    ['[::1]:80:80', [p(80, 80, '::1')]],
    ['[::]:8080:80/udp', [p(80, 8080, '::', 'udp')]],
    ['127.0.0.1::80', [p(80, undefined)]],
    ['0:80', [p(80)]],
    [' 80 ', [p(80)]],
  ])('%j', (input, expected) => expect(parsePort(input)).toEqual(expected));
});

describe('ports: long syntax', () => {
  it.each([
    [{ target: 80 }, [p(80)]],
    [{ target: 80, published: 8080 }, [p(80, 8080)]],
    [{ target: 80, published: '8080' }, [p(80, 8080)]],
    [{ target: 80, published: 0 }, [p(80)]],
    [{ target: 53, published: 5353, host_ip: '0.0.0.0', protocol: 'udp' as const }, [p(53, 5353, '0.0.0.0', 'udp')]],
  ])('%j', (input, expected) => expect(parsePort(input)).toEqual(expected));
});

describe('ports: errors', () => {
  it.each([
    ['70000:80', 'host port 70000 is out of range 0-65535'],
    ['80:70000', 'container port 70000 is out of range 1-65535'],
    ['0', 'container port 0 is out of range 1-65535'],
    [0, 'container port 0 is out of range 1-65535'],
    ['80:tcp', '"tcp" is not a container port or range'],
    ['80/sctp', 'unknown protocol "sctp" in "80/sctp"; expected tcp or udp'],
    ['1.2.3:80:80', '"1.2.3" is not an IP address to publish on'],
    ['a:b:c:d', '"a:b:c:d" is not a port mapping'],
    ['::1:80:80', 'write an IPv6 address in brackets'],
    ['8000-8002:80', 'the host and container port ranges must have the same length (3 and 1)'],
    ['9002-9000', 'port range "9002-9000" ends before it starts'],
    ['', '"" is not a container port or range'],
  ])('%j: %s', (input, message) => expect(() => parsePort(input)).toThrow(message));

  it('a long-syntax range needs a target range', () => {
    expect(() => parsePort({ target: 80, published: '8000-8001' })).toThrow(/same length/);
  });
});
