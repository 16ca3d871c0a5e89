/** Compose's networking keys as `stack config --json` prints them, and the mistakes it names. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatPlan, planUp } from '../planner/index.js';
import { runtimeRefusals } from '../planner/runtime-support.js';
import { loadStack, serializeStack } from './index.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/valid/compose-networking');

/** Loads a stack file written from `text`; resolves to its ConfigError's lines when it fails. */
async function load(text: string, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-net-'));
  try {
    fs.writeFileSync(path.join(dir, 'stack.yaml'), text);
    return await loadStack({ cwd: dir, env, project: 'p' });
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}
async function errors(text: string): Promise<string[]> {
  return load(text).then(
    () => [],
    (err: Error) => err.message.split('\n'),
  );
}

describe('networking keys', () => {
  it('normalizes networks, volumes and every service networking key as Compose means them', async () => {
    const doc = JSON.parse(JSON.stringify(serializeStack(await loadStack({ cwd: fixture, env: {} })))) as Record<string, any>;
    expect(doc.networks).toEqual({
      back: {
        name: 'corp-backend',
        driver_opts: { 'com.docker.network.bridge.name': 'br-corp', 'com.docker.network.driver.mtu': '1400' },
        attachable: true,
        enable_ipv6: true,
        ipam: {
          config: [
            { subnet: '172.28.0.0/16', gateway: '172.28.5.254', ip_range: '172.28.5.0/24', aux_addresses: { router: '172.28.1.5' } },
            { subnet: 'fd00:28::/64' },
          ],
        },
        labels: { tier: 'back' },
      },
      front: {},
      shared: { external: true },
      'legacy-net': { name: 'the-real-name', external: true },
      default: {},
    });
    expect(doc.volumes).toEqual({ data: { name: 'corp-data' }, files: { driver_opts: { type: 'none', o: 'bind', device: '/srv/files' } }, old: { external: true } });
    const { db, sidecar, tools, offline, legacy, plain } = doc.services;
    expect(db).toMatchObject({
      networks: { back: { aliases: ['database'], ipv4_address: '172.28.5.10', ipv6_address: 'fd00:28::10' }, front: { mac_address: '02:42:ac:11:00:03' } },
      dns: ['10.0.0.53'],
      dns_search: ['corp.test', 'example.test'],
      dns_opt: ['ndots:2', 'use-vc'],
      domainname: 'corp.test',
      mac_address: '02:42:ac:11:00:02',
      extra_hosts: { gw: 'host-gateway', printer: '10.0.0.9' },
    });
    // service:X makes X a dependency, restarted with it, as compose-go adds it.
    expect(sidecar).toMatchObject({ network_mode: 'service:db', depends_on: { db: { condition: 'service_started', restart: true } } });
    expect(sidecar.networks).toBeUndefined();
    expect([tools.network_mode, offline.network_mode, legacy.network_mode]).toEqual(['host', 'none', 'container:some-existing-container']);
    expect(plain).toMatchObject({ networks: { default: {} } });
    expect(plain.network_mode).toBeUndefined();
  });

  it('gives runtime names: name:, else <project>_<key>, an external one its key', async () => {
    const stack = await loadStack({ cwd: fixture, env: {}, project: 'other' });
    expect(Object.fromEntries(Object.entries(stack.networks).map(([k, n]) => [k, n.name]))).toEqual({
      back: 'corp-backend',
      front: 'other_front',
      shared: 'shared',
      'legacy-net': 'the-real-name',
      default: 'other_default',
    });
    expect(Object.fromEntries(Object.entries(stack.volumes).map(([k, v]) => [k, v.name]))).toEqual({ data: 'corp-data', files: 'other_files', old: 'old' });
  });

  it('plans service:X after X has started', async () => {
    const stack = await loadStack({ cwd: fixture, env: {} });
    expect(formatPlan(planUp(stack, { services: ['sidecar'] }))).toBe(
      [
        '[] -> #1 network:corp-backend  create-network',
        '[] -> #2 network:netdemo_front  create-network',
        '[] -> #3 image:postgres:16  pull-image',
        '[] -> #4 image:busybox  pull-image',
        '[1,2,3] -> #5 container:netdemo-db-1  create-container',
        '[5] -> #6 container:netdemo-db-1  start-container',
        '[4] -> #7 container:netdemo-sidecar-1  create-container',
        '[6,7] -> #8 container:netdemo-sidecar-1  start-container',
      ].join('\n'),
    );
  });

  it('keeps ports without an address on 127.0.0.1 unless HAFEN_PUBLISH_ALL=1, and knows which services have them', async () => {
    const file = 'services:\n  a: {image: x, ports: ["80", "127.0.0.1:81:81", {target: 82}, {target: 83, host_ip: 10.0.0.1}]}\n  b: {image: x, ports: ["[::1]:84:84"]}\n';
    const local = await load(file);
    expect(local.services.a!.ports.map((p) => p.host_ip)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1', '10.0.0.1']);
    expect(local.ports_without_address).toEqual(['a']);
    const all = await load(file, { HAFEN_PUBLISH_ALL: '1' });
    expect(all.services.a!.ports.map((p) => p.host_ip)).toEqual(['0.0.0.0', '127.0.0.1', '0.0.0.0', '10.0.0.1']);
    expect(all.services.b!.ports.map((p) => p.host_ip)).toEqual(['::1']);
  });

  it('names each mistake where it is written', async () => {
    expect(
      await errors(
        [
          'services:',
          '  a: {image: x, network_mode: "bridge2"}',
          '  b: {image: x, mac_address: "03:00:00:00:00:01", dns: [not-an-ip]}',
          '  c: {image: x, networks: {n: {ipv4_address: 10.9.0.5, mac_address: nope}}}',
          'networks:',
          '  n: {ipam: {config: [{subnet: 10.8.0.0/24, gateway: 10.9.0.1, ip_range: 10.8.1.0/25}]}}',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'stack.yaml:2:31 services.a.network_mode: expected host, none, bridge, service:NAME or container:NAME, got "bridge2"',
      'stack.yaml:3:30 services.b.mac_address: 03:00:00:00:00:01 is a multicast address (its first byte is odd); a container needs a unicast one',
      'stack.yaml:3:57 services.b.dns[0]: expected the IP address of a DNS server, got "not-an-ip"',
      'stack.yaml:4:69 services.c.networks.n.mac_address: expected a MAC address like 02:42:ac:11:00:02, got "nope"',
      'stack.yaml:6:54 networks.n.ipam.config[0].gateway: 10.9.0.1 is not inside the subnet 10.8.0.0/24',
      'stack.yaml:6:74 networks.n.ipam.config[0].ip_range: 10.8.1.0/25 is not inside the subnet 10.8.0.0/24',
    ]);
    expect(await errors('services:\n  c: {image: x, networks: {n: {ipv4_address: 10.9.0.5}}}\nnetworks:\n  n: {ipam: {config: [{subnet: 10.8.0.0/24}]}}\n')).toEqual([
      'stack.yaml:2:46 services.c.networks.n.ipv4_address: 10.9.0.5 is not in the subnet of network "n" (10.8.0.0/24)',
    ]);
  });

  it('lets up refuse what a runtime cannot honour, naming the key', async () => {
    const stack = await loadStack({ cwd: fixture, env: {} });
    const lines = (runtime: 'embedded' | 'docker') => runtimeRefusals(stack, runtime).map((i) => `${i.location.path}: ${i.message}`);
    expect(lines('embedded')).toEqual([
      'services.db.networks: ipv6_address on network "back": the embedded runtime\'s networks are IPv4 only; remove the setting, or use --runtime docker',
    ]);
    expect(lines('docker')).toEqual([
      'services.db.networks: mac_address on network "front": Docker 20.10\'s API takes a MAC address for the first network only; set the MAC address on the first network the service lists',
    ]);
    const shared = await load('services:\n  a: {image: x}\n  b: {image: x, network_mode: "service:a", ports: ["80"], hostname: h}\n  c: {image: x, network_mode: none, ports: ["81"]}\n  d: {image: x, network_mode: "service:a", ready: {tcp: 80}}\n  e: {image: x, network_mode: host, ready: {tcp: 80}}\n');
    expect(runtimeRefusals(shared, 'docker').map((i) => `${i.location.path}: ${i.message}`)).toEqual([
      'services.b.ports: ports cannot be set on a service with network_mode "service:a": the network namespace, and with it the ports, belongs to the other container; publish the ports on the service that owns the network namespace',
      'services.b.hostname: hostname cannot be set on a service with network_mode "service:a": the network namespace, and with it this setting, belongs to the other container; set it on the service that owns the network namespace, or remove it',
      'services.c.ports: ports cannot be published from a service with network_mode "none" (it has only a loopback); remove ports, or the network_mode',
      'services.d.ready: a tcp ready check cannot reach a service with network_mode "service:a" (it has no address of its own); check it on the service that owns the network namespace, or use a log or exec ready check',
    ]);
  });
});
