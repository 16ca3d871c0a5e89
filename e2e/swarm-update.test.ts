/**
 * Issue 18: a service made from a stack file by swarmServiceSpec, changed on a real two-node swarm
 * (src/testing/swarm-lab.ts) through update-service.ts: scale 1 → 2 → 1 (one task per node), a rolling
 * restart (every task replaced), a secret rotated by content (the container reads the new data, the
 * old object is retired), and an update that fails its healthcheck and is rolled back by Swarm
 * (failure_action: rollback). Addresses come from 10.231.0.0/16; the lab leaves nothing.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStack } from '../src/config/index.js';
import type { Stack } from '../src/config/model.js';
import { overlayNetworkSpec } from '../src/runtime/swarm/network-spec.js';
import { fileObjectData, retiredObjects, swarmFileObjectSpec, type ListedObject } from '../src/runtime/swarm/secrets.js';
import { swarmServiceSpec, type SwarmObjectRef } from '../src/runtime/swarm/service-spec.js';
import { engineServiceApi, restartService, scaleService, updateService, type SwarmTask } from '../src/runtime/swarm/update-service.js';
import { unmet } from '../src/testing/requirements.js';
import { requireSwarmLab, startSwarmLab, swarmLabLeftovers, type SwarmLab } from '../src/testing/swarm-lab.js';

const IMAGE = 'local/busybox:1';

/** The stack: one web service, healthy once it has made /tmp/ok, reading a secret. */
function stackFile(project: string, octet: number): string {
  return `name: ${project}
services:
  web:
    image: ${IMAGE}
    command: ["sh", "-c", "touch /tmp/ok; exec sleep 1d"]
    environment: {VERSION: "1"}
    init: true
    stop_grace_period: 2s
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ok"], interval: 1s, timeout: 1s, retries: 2}
    secrets: [token]
    networks: [back]
    deploy:
      replicas: 1
      endpoint_mode: dnsrr
      placement: {max_replicas_per_node: 1}
      update_config: {parallelism: 1, failure_action: rollback, monitor: 5s}
      rollback_config: {parallelism: 0, monitor: 1s}
networks:
  back: {driver: overlay, ipam: {config: [{subnet: 10.231.${octet}.0/24}]}}
secrets:
  token: {environment: TOKEN}
`;
}

describe.skipIf(unmet(...requireSwarmLab()))('swarm service updates on a two-node swarm', () => {
  let lab: SwarmLab | undefined;
  let manager: Docker;
  let dir: string;
  const project = `hfupd${randomBytes(3).toString('hex')}`;
  const octet = randomBytes(1)[0]!;
  let network = '';
  let serviceId = '';
  let secret: SwarmObjectRef = { id: '', name: '' };

  /** The stack with TOKEN set to `token`. */
  async function load(token: string): Promise<Stack> {
    return loadStack({ cwd: dir, env: { TOKEN: token } });
  }

  async function makeSecret(stack: Stack): Promise<SwarmObjectRef> {
    const spec = swarmFileObjectSpec(project, 'secret', 'token', stack.secrets.token!, await fileObjectData(stack.secrets.token!));
    const existing = (await manager.listSecrets({ filters: { name: [spec.Name] } })) as ListedObject[];
    const found = existing.find((s) => s.Spec?.Name === spec.Name);
    if (found) return { id: found.ID, name: spec.Name };
    const made = await manager.createSecret(spec);
    return { id: made.id, name: spec.Name };
  }

  function specOf(stack: Stack): Docker.ServiceSpec {
    return swarmServiceSpec(stack.services.web!, { project, image: IMAGE, networks: { back: network }, volumes: stack.volumes, secrets: { token: secret }, configs: {} });
  }

  async function runningTasks(): Promise<(SwarmTask & { Spec?: { ContainerSpec?: { Env?: string[] } }; Status?: { ContainerStatus?: { ContainerID?: string } } })[]> {
    const tasks = (await manager.listTasks({ filters: { service: [serviceId], 'desired-state': ['running'] } })) as SwarmTask[];
    return tasks.filter((t) => t.Status?.State === 'running');
  }

  async function waitRunning(n: number): Promise<void> {
    const end = Date.now() + 90_000;
    while ((await runningTasks()).length !== n) {
      if (Date.now() > end) throw new Error(`service never had ${n} running tasks`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** What `cmd` prints in the running task's container, run through the engine of its node. */
  async function inTask(cmd: string[]): Promise<string> {
    const [task] = await runningTasks();
    const nodes = (await manager.listNodes()) as { ID: string; Description: { Hostname: string } }[];
    const host = nodes.find((n) => n.ID === task!.NodeID)!.Description.Hostname;
    const node = lab!.nodes.find((n) => n.hostname === host)!;
    const out = spawnSync('docker', ['-H', node.host, 'exec', task!.Status!.ContainerStatus!.ContainerID!, ...cmd], { encoding: 'utf8' });
    return out.stdout.trim();
  }

  beforeAll(async () => {
    lab = await startSwarmLab();
    manager = lab.manager.docker;
    await lab.importBusybox(IMAGE);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-swarm-update-'));
    fs.writeFileSync(path.join(dir, 'stack.yaml'), stackFile(project, octet));
    const stack = await load('first-token');
    network = (await manager.createNetwork(overlayNetworkSpec(project, 'back', stack.networks.back!))).id;
    secret = await makeSecret(stack);
    serviceId = (await manager.createService(specOf(stack))).id;
    await waitRunning(1);
  }, 240_000);

  afterAll(async () => {
    if (!lab) return;
    await lab.stop();
    expect(swarmLabLeftovers(lab)).toEqual([]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  const api = () => engineServiceApi(manager);

  it('scales 1 → 2 → 1, the two tasks on both nodes (max_replicas_per_node: 1)', async () => {
    expect(await scaleService(api(), serviceId, 2, { timeoutMs: 90_000 })).toEqual({ state: 'completed' });
    const two = await runningTasks();
    expect(two).toHaveLength(2);
    expect(new Set(two.map((t) => t.NodeID)).size).toBe(2);
    expect(await scaleService(api(), serviceId, 1, { timeoutMs: 90_000 })).toEqual({ state: 'completed' });
    expect(await runningTasks()).toHaveLength(1);
  }, 200_000);

  it('restarts by replacing the running task with a new one', async () => {
    const before = (await runningTasks()).map((t) => t.ID);
    expect(await restartService(api(), serviceId, { timeoutMs: 90_000 })).toEqual({ state: 'completed' });
    await waitRunning(1);
    const after = (await runningTasks()).map((t) => t.ID);
    expect(after).toHaveLength(1);
    expect(after.some((id) => before.includes(id))).toBe(false);
  }, 200_000);

  it('rotates a secret by its content: a new object, the container reads the new data, the old one retires', async () => {
    expect(await inTask(['cat', '/run/secrets/token'])).toBe('first-token');
    const old = secret;
    const stack = await load('second-token');
    secret = await makeSecret(stack);
    expect(secret.name).not.toBe(old.name);
    expect(secret.name).toMatch(new RegExp(`^${project}_token_[0-9a-f]{8}$`));
    expect(await updateService(api(), serviceId, () => specOf(stack), { timeoutMs: 120_000 })).toEqual({ state: 'completed' });
    await waitRunning(1);
    expect(await inTask(['cat', '/run/secrets/token'])).toBe('second-token');
    const retired = retiredObjects((await manager.listSecrets()) as ListedObject[], project, 'secret', new Set([secret.name]));
    expect(retired.map((s) => s.ID)).toEqual([old.id]);
    await manager.getSecret(old.id).remove();
    const left = ((await manager.listSecrets()) as ListedObject[]).map((s) => s.Spec?.Name);
    expect(left).toEqual([secret.name]);
    // The same data again is the same object: nothing to roll.
    expect((await makeSecret(await load('second-token'))).name).toBe(secret.name);
    expect(await updateService(api(), serviceId, () => specOf(stack), { timeoutMs: 60_000 })).toMatchObject({ state: expect.stringMatching(/^(unchanged|completed)$/) });
  }, 300_000);

  it('rolls back an update whose task never gets healthy (failure_action: rollback), with the reason', async () => {
    const stack = await load('second-token');
    const broken = structuredClone(stack.services.web!);
    broken.command = ['sh', '-c', 'exec sleep 1d'];
    broken.environment.VERSION = '2';
    const spec = swarmServiceSpec(broken, { project, image: IMAGE, networks: { back: network }, volumes: stack.volumes, secrets: { token: secret }, configs: {} });
    const states: string[] = [];
    const outcome = await updateService(api(), serviceId, () => spec, { timeoutMs: 180_000, onStatus: (s) => states.push(s.State!) });
    expect(outcome.state).toBe('rolled-back');
    expect(outcome).toMatchObject({ message: expect.stringMatching(/rolled back due to failure|rollback/) });
    expect(states).toContain('rollback_started');
    const service = (await api().inspect(serviceId)).Spec!;
    expect((service.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec!.Env).toContain('VERSION=1');
    await waitRunning(1);
    const [task] = await runningTasks();
    expect(task!.Spec!.ContainerSpec!.Env).toContain('VERSION=1');
  }, 300_000);
});
