import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCidr } from './cidr.js';
import type { HostSubnet } from './host-routes.js';
import { allocationsFile, Ipam, parseSubnetPool, type IpamOptions } from './ipam.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-ipam-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function host(...subnets: string[]): () => Promise<HostSubnet[]> {
  return async () => subnets.map((s) => ({ cidr: parseCidr(s)!, source: `route ${s} dev test0` }));
}
function ipam(options: Partial<IpamOptions> = {}): Ipam {
  return new Ipam({ root, hostSubnets: host('192.0.2.0/24'), ...options });
}

describe('Ipam subnets', () => {
  it('hands out /24s of the default pool in order, one per network, and keeps them', async () => {
    const a = ipam();
    expect((await a.allocateNetwork('shop', 'front')).subnet).toBe('10.89.0.0/24');
    const back = await a.allocateNetwork('shop', 'back');
    expect(back).toMatchObject({ subnet: '10.89.1.0/24', gateway: '10.89.1.1', prefix: 24 });
    expect((await ipam().allocateNetwork('shop', 'front')).subnet).toBe('10.89.0.0/24');
    expect((await a.allocateNetwork('blog', 'front')).subnet).toBe('10.89.2.0/24');
    expect(fs.statSync(allocationsFile(root)).mode & 0o777).toBe(0o600);
  });

  it('avoids subnets the host routes or holds addresses in', async () => {
    const a = ipam({ hostSubnets: host('10.89.0.0/23', '10.89.2.7/32', '10.128.0.0/9') });
    expect((await a.allocateNetwork('shop', 'default')).subnet).toBe('10.89.3.0/24');
    const b = ipam({ root: `${root}/other`, hostSubnets: host('10.0.0.0/8') });
    expect((await b.allocateNetwork('shop', 'default')).subnet).toBe('172.29.0.0/24');
  });

  it('moves on to the next range of the pool when one is full', async () => {
    const a = ipam({ pool: parseSubnetPool('10.89.0.0/23:24,172.29.0.0/16:24') });
    await a.allocateNetwork('p', 'n1');
    await a.allocateNetwork('p', 'n2');
    expect((await a.allocateNetwork('p', 'n3')).subnet).toBe('172.29.0.0/24');
  });

  it('says so when the pool is exhausted', async () => {
    const a = ipam({ pool: [{ range: '10.89.0.0/24', prefix: 24 }] });
    await a.allocateNetwork('p', 'n1');
    await expect(a.allocateNetwork('p', 'n2')).rejects.toThrow(
      'network n2 (project p): no free subnet left in the pool 10.89.0.0/24 (/24s); remove stacks no longer used, or give the network a subnet',
    );
  });

  it('honours a subnet from the stack file when it is free, and names what holds it when not', async () => {
    const a = ipam();
    expect((await a.allocateNetwork('shop', 'front', '172.28.0.0/16')).gateway).toBe('172.28.0.1');
    await expect(a.allocateNetwork('blog', 'web', '172.28.5.0/24')).rejects.toThrow(
      'subnet 172.28.5.0/24 is not free: network front of project shop holds 172.28.0.0/16',
    );
    await expect(a.allocateNetwork('blog', 'web', '192.0.2.128/25')).rejects.toThrow(
      'subnet 192.0.2.128/25 is not free: the host uses it (route 192.0.2.0/24 dev test0)',
    );
    await expect(a.allocateNetwork('blog', 'web', '172.30.0.5/16')).rejects.toThrow('invalid subnet 172.30.0.5/16: it should be 172.30.0.0/16');
    await expect(a.allocateNetwork('shop', 'front', '172.31.0.0/16')).rejects.toThrow('already has subnet 172.28.0.0/16');
    // The pool skips the requested subnet too.
    expect((await a.allocateNetwork('blog', 'web')).subnet).toBe('10.89.0.0/24');
  });

  it('releases a network, and all of a project', async () => {
    const a = ipam();
    await a.allocateNetwork('shop', 'front');
    await a.allocateNetwork('shop', 'back');
    await a.allocateNetwork('blog', 'front');
    await a.releaseNetwork('shop', 'front');
    expect((await a.allocateNetwork('wiki', 'x')).subnet).toBe('10.89.0.0/24');
    await a.releaseProject('shop');
    expect(a.list('shop')).toEqual([]);
    expect(a.list().map((n) => `${n.project}/${n.network}`).sort()).toEqual(['blog/front', 'wiki/x']);
  });

  it('gives concurrent allocations (two Ipams, one file) different subnets', async () => {
    const [a, b] = [ipam(), ipam()];
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).allocateNetwork(`p${i}`, 'default')));
    expect(new Set(got.map((g) => g.subnet)).size).toBe(20);
    expect(a.list()).toHaveLength(20);
  });

  it('takes over a lock left by a dead process', async () => {
    fs.mkdirSync(path.dirname(allocationsFile(root)), { recursive: true });
    fs.writeFileSync(`${allocationsFile(root)}.lock`, JSON.stringify({ pid: 999_999_999, startTime: '1' }));
    expect((await ipam().allocateNetwork('shop', 'default')).subnet).toBe('10.89.0.0/24');
    expect(fs.existsSync(`${allocationsFile(root)}.lock`)).toBe(false);
  });

  it('reads pools from text and refuses nonsense', () => {
    expect(parseSubnetPool('10.89.0.0/16:24, 172.29.0.0/16:26')).toEqual([
      { range: '10.89.0.0/16', prefix: 24 },
      { range: '172.29.0.0/16', prefix: 26 },
    ]);
    expect(() => parseSubnetPool('10.89.0.0/16')).toThrow('is not RANGE:PREFIX');
    expect(() => parseSubnetPool('10.89.0.0/24:16')).toThrow('is not RANGE:PREFIX');
  });
});

describe('Ipam addresses', () => {
  it('gives containers .2 upwards, keeps each one its address, and honours ipv4_address', async () => {
    const a = ipam();
    await a.allocateNetwork('shop', 'default');
    expect(await a.assignAddress('shop', 'default', 'shop-db-1')).toBe('10.89.0.2');
    expect(await a.assignAddress('shop', 'default', 'shop-api-1')).toBe('10.89.0.3');
    expect(await a.assignAddress('shop', 'default', 'shop-api-2', '10.89.0.4')).toBe('10.89.0.4');
    expect(await a.assignAddress('shop', 'default', 'shop-db-1')).toBe('10.89.0.2');
    expect(await a.assignAddress('shop', 'default', 'shop-web-1')).toBe('10.89.0.5');
    await a.releaseAddresses('shop', 'shop-api-1');
    expect(await a.assignAddress('shop', 'default', 'shop-api-3')).toBe('10.89.0.3');
    expect(a.get('shop', 'default')?.addresses).toEqual({
      'shop-db-1': '10.89.0.2',
      'shop-api-2': '10.89.0.4',
      'shop-web-1': '10.89.0.5',
      'shop-api-3': '10.89.0.3',
    });
  });

  it.each([
    ['10.89.0.2', 'ipv4_address 10.89.0.2 is taken by shop-db-1'],
    ['10.89.0.1', "ipv4_address 10.89.0.1 is the bridge's (gateway) address"],
    ['10.89.0.255', "is the subnet's network or broadcast address"],
    ['10.89.1.2', "is not in the network's subnet 10.89.0.0/24"],
    ['10.89.1', 'is not an IPv4 address'],
  ])('refuses ipv4_address %s', async (requested, message) => {
    const a = ipam();
    await a.allocateNetwork('shop', 'default');
    await a.assignAddress('shop', 'default', 'shop-db-1');
    await expect(a.assignAddress('shop', 'default', 'shop-x-1', requested)).rejects.toThrow(message);
  });

  it('assigns on several networks at once, and fails for a network with no subnet', async () => {
    const a = ipam();
    await a.allocateNetwork('shop', 'front');
    await a.allocateNetwork('shop', 'back');
    expect(await a.assignAddresses('shop', 'shop-api-1', [{ network: 'back' }, { network: 'front', requested: '10.89.0.9' }])).toEqual([
      '10.89.1.2',
      '10.89.0.9',
    ]);
    await expect(a.assignAddress('shop', 'nope', 'shop-api-1')).rejects.toThrow('network nope (project shop): has no subnet yet');
  });

  it('says so when a subnet is full', async () => {
    const a = ipam();
    await a.allocateNetwork('shop', 'tiny', '10.99.0.0/30');
    expect(await a.assignAddress('shop', 'tiny', 'c1')).toBe('10.99.0.2');
    await expect(a.assignAddress('shop', 'tiny', 'c2')).rejects.toThrow('no free address left in 10.99.0.0/30 for c2');
  });
});
