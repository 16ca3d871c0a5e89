/** What runtime swarm refuses, where it is written, and what it accepts (the same file on docker is not refused). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStack } from '../config/index.js';
import { tempDir } from '../testing/temp-dir.js';
import { runtimeRefusals } from './runtime-support.js';
import { swarmImageRoute } from './swarm-support.js';

async function refusals(service: string, top = '', runtime: 'swarm' | 'docker' = 'swarm'): Promise<string[]> {
  const dir = await tempDir('hafen-swarm-support-');
  await writeFile(path.join(dir, 'stack.yaml'), `name: t\nservices:\n  db: {image: db:1}\n  api:\n    image: api:1\n${service.replace(/^/gm, '    ')}\n${top}`);
  const stack = await loadStack({ cwd: dir, env: {} });
  return runtimeRefusals(stack, runtime, ['api']).map((i) => `${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`);
}

describe('swarm support rules', () => {
  it.each([
    ['container_name: x', '6:5 services.api.container_name: container_name cannot be kept'],
    ['links: [db]', '6:5 services.api.links: links has no counterpart in a Swarm service'],
    ['devices: ["/dev/null:/dev/null"]', '6:5 services.api.devices: devices has no counterpart'],
    ['privileged: true', '6:5 services.api.privileged: privileged is not available to Swarm services; grant what it needs with cap_add'],
    ['network_mode: host', '6:5 services.api.network_mode: network_mode has no counterpart'],
    ['ipc: host', '6:5 services.api.ipc: ipc has no counterpart'],
    ['security_opt: [no-new-privileges]', '6:5 services.api.security_opt'],
    ['shm_size: 64m', '6:5 services.api.shm_size: shm_size has no counterpart in a Swarm service (docker stack deploy ignores it); mount a tmpfs at /dev/shm'],
    ['cpu_shares: 512', '6:5 services.api.cpu_shares'],
    ['ship: east', '6:5 services.api.ship: ship names one Docker engine', 'ships: {east: {docker: "tcp://10.0.0.5:2376"}}\n'],
    ['networks: {default: {ipv4_address: 10.1.0.5}}', '6:5 services.api.networks: a fixed address on network "default" cannot be kept', 'networks: {default: {ipam: {config: [{subnet: 10.1.0.0/24}]}}}\n'],
    ['ports: ["127.0.0.1:8080:80"]', '6:5 services.api.ports: port 80 is bound to 127.0.0.1, but Swarm publishes on every address of a node'],
    ['tmpfs: ["/run:noexec"]', '6:5 services.api.tmpfs: tmpfs option noexec on /run is not one a Swarm tmpfs mount takes'],
    ['deploy: {mode: replicated-job, update_config: {parallelism: 1}}', 'services.api.deploy.update_config: a replicated-job runs to completion'],
    ['build: .', '6:5 services.api.build: an image built here is not on the swarm\'s nodes, and the file names no registry to push it to nor node engines to load it into; name a registry with x-hafen-registry: HOST:PORT (or up --registry), or give each node\'s engine under ships:'],
  ])('%s', async (yaml, expected, top = '') => {
    const [first, ...rest] = await refusals(yaml, top);
    expect(rest).toEqual([]);
    expect(first).toContain(expected);
  });

  it('refuses the embedded runtime\'s own images', async () => {
    const dir = await tempDir('hafen-swarm-support-');
    await writeFile(path.join(dir, 'stack.yaml'), 'name: t\nservices:\n  api: {image: host}\n');
    const stack = await loadStack({ cwd: dir, env: {} });
    expect(runtimeRefusals(stack, 'swarm').map((i) => i.message)).toEqual([expect.stringContaining('image "host" is the embedded runtime\'s own')]);
  });

  it.each([
    ['build with a registry', 'build: .', 'x-hafen-registry: localhost:5000\n'],
    ['build with ships to load it into', 'build: .', 'ships: {a: {docker: "unix:///run/a.sock", manager: true}, b: {docker: "tcp://10.0.0.2:2375"}}\n'],
    ['ports without an address or on every address', 'ports: ["8080:80", "0.0.0.0:9090:90", {target: 53, mode: host}]', ''],
    ['what Swarm honours', 'deploy: {mode: global, endpoint_mode: dnsrr, placement: {constraints: ["node.role == worker"]}, update_config: {failure_action: rollback}}\ncap_add: [NET_ADMIN]\nsysctls: {net.core.somaxconn: 1}\ntmpfs: ["/run:size=1m"]\ninit: true', ''],
  ])('accepts %s', async (_what, yaml, top) => {
    expect(await refusals(yaml, top)).toEqual([]);
  });

  it('routes an image made here through a registry (its image: or the stack\'s), else ships:, else refuses it at its key', async () => {
    const dir = await tempDir('hafen-swarm-support-');
    const write = (top: string) => writeFile(path.join(dir, 'stack.yaml'), `name: t\n${top}services:\n  app: {image: "docker-archive:./app.tar"}\n  web: {build: ., image: "reg.example:5000/web:1"}\n  db: {image: db:1}\n`);
    await write('');
    let stack = await loadStack({ cwd: dir, env: {} });
    expect(['app', 'web', 'db'].map((s) => swarmImageRoute(stack.services[s]!, stack))).toEqual([undefined, 'registry', 'pull']);
    expect(runtimeRefusals(stack, 'swarm').map((i) => `${i.location.line}:${i.location.col} ${i.location.path}`)).toEqual(['3:9 services.app.image']);
    await write('ships: {a: {docker: "unix:///run/a.sock"}}\n');
    stack = await loadStack({ cwd: dir, env: {} });
    expect(['app', 'web', 'db'].map((s) => swarmImageRoute(stack.services[s]!, stack))).toEqual(['ships', 'registry', 'pull']);
    await write('x-hafen-registry: localhost:5000\n');
    stack = await loadStack({ cwd: dir, env: {} });
    expect(['app', 'web', 'db'].map((s) => swarmImageRoute(stack.services[s]!, stack))).toEqual(['registry', 'registry', 'pull']);
  });

  it('refuses an overlay network without a swarm, and takes it on one', async () => {
    const top = 'networks: {back: {driver: overlay}}\n';
    expect(await refusals('networks: [back]', top, 'docker')).toEqual([
      '6:5 services.api.networks: network "back" has driver: overlay, which needs a swarm; use --runtime swarm, or remove driver: overlay (a bridge network is the default)',
    ]);
    expect(await refusals('networks: [back]', top)).toEqual([]);
  });

  it('refuses nothing of these on the docker runtime', async () => {
    expect(await refusals('container_name: x\nlinks: [db]\nship: east', 'ships: {east: {docker: "unix:///var/run/docker.sock"}}\n', 'docker')).toEqual([]);
  });
});
