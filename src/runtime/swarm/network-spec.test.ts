/** Stack networks as attachable overlay networks. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../config/index.js';
import { overlayNetworkSpec } from './network-spec.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function networksOf(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-overlay-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), `name: shop\nservices:\n  a: {image: a, networks: [back]}\nnetworks:\n${yaml.replace(/^/gm, '  ')}\n`);
  return (await loadStack({ cwd: dir, env: {} })).networks;
}

describe('overlayNetworkSpec', () => {
  it('makes an attachable overlay with the options, pools, internal and labels written', async () => {
    const nets = await networksOf(
      'back:\n  internal: true\n  driver_opts: {com.docker.network.driver.mtu: 1400}\n  labels: {tier: db}\n  ipam: {config: [{subnet: 10.231.5.0/24, gateway: 10.231.5.1, ip_range: 10.231.5.128/25, aux_addresses: {r: 10.231.5.2}}]}',
    );
    expect(overlayNetworkSpec('shop', 'back', nets.back!)).toEqual({
      Name: 'shop_back',
      Driver: 'overlay',
      Attachable: true,
      CheckDuplicate: true,
      Internal: true,
      EnableIPv6: false,
      Options: { 'com.docker.network.driver.mtu': '1400' },
      Labels: { tier: 'db', 'com.docker.stack.namespace': 'shop', 'io.hafen.project': 'shop', 'io.hafen.network': 'back' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.231.5.0/24', Gateway: '10.231.5.1', IPRange: '10.231.5.128/25', AuxiliaryAddresses: { r: '10.231.5.2' } }] },
    });
  });

  it('leaves the pool to Swarm when none is written, and keeps a written name', async () => {
    const nets = await networksOf('back: {name: shared-back}');
    const spec = overlayNetworkSpec('shop', 'back', nets.back!);
    expect(spec.Name).toBe('shared-back');
    expect(spec).not.toHaveProperty('IPAM');
  });
});
