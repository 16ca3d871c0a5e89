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
  full:
    image: ${IMAGE}
    entrypoint: ["sh", "-c"]
    command: ["echo $$GREETING > /tmp/greeting; exec sleep 1d"]
    environment: {GREETING: hi}
    working_dir: /tmp
    user: "0:0"
    hostname: full-host
    init: true
    stop_grace_period: 2s
    stop_signal: SIGTERM
    read_only: true
    tmpfs: ["/tmp:size=1m,mode=1777"]
    sysctls: {net.ipv4.tcp_syncookies: 0}
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    ulimits: {nofile: {soft: 1024, hard: 2048}}
    extra_hosts: ["gw:10.231.${octet}.1"]
    labels: {tier: test}
    volumes: ["data:/data", {type: tmpfs, target: /cache, tmpfs: {size: 1m}}]
    ports: [{target: 8080, published: 18080, mode: host}]
    configs: [{source: conf, target: /etc/app.conf, mode: 0440}]
    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 2}
    networks: [back]
    deploy:
      labels: {owner: lab}
      endpoint_mode: dnsrr
      placement: {constraints: ["node.role == worker"], preferences: [{spread: node.hostname}]}
      resources: {limits: {cpus: "0.5", memory: 64m, pids: 64}, reservations: {memory: 8m}}
      restart_policy: {condition: on-failure, delay: 1s, max_attempts: 3, window: 10s}
      update_config: {parallelism: 2, delay: 1s, order: start-first, failure_action: pause, monitor: 2s, max_failure_ratio: 0.5}
      rollback_config: {parallelism: 1}
  once:
    image: ${IMAGE}
    command: ["sh", "-c", "echo done"]
    networks: [back]
    deploy: {endpoint_mode: dnsrr}
networks:
  back: {driver: overlay, ipam: {config: [{subnet: 10.231.${octet}.0/24}]}}
volumes:
  data: {labels: {keep: "no"}}
secrets:
  token: {environment: TOKEN}
configs:
  conf: {content: "a=1"}
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

  /** The secret `token` as the swarm runtime makes it: named for its content, created once. */
  async function makeSecret(stack: Stack): Promise<SwarmObjectRef> {
    const spec = swarmFileObjectSpec(project, 'secret', 'token', stack.secrets.token!, await fileObjectData(stack.secrets.token!));
    const found = ((await manager.listSecrets()) as ListedObject[]).find((s) => s.Spec?.Name === spec.Name);
    return { id: found?.ID ?? (await manager.createSecret(spec)).id, name: spec.Name };
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
    // Still mounted by the running task: Swarm refuses to remove it.
    await expect(manager.getSecret(old.id).remove()).rejects.toThrow(/in use/);
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

  it('runs a service with every translated key as written: the engine keeps the spec, the container shows it', async () => {
    const stack = await load('second-token');
    const conf = swarmFileObjectSpec(project, 'config', 'conf', stack.configs.conf!, await fileObjectData(stack.configs.conf!));
    const configs = { conf: { id: (await manager.createConfig(conf)).id, name: conf.Name } };
    const spec = swarmServiceSpec(stack.services.full!, { project, image: IMAGE, networks: { back: network }, volumes: stack.volumes, secrets: {}, configs });
    const id = (await manager.createService(spec)).id;
    const kept = (await api().inspect(id)).Spec!;
    expect(kept).toMatchObject({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: expect.anything() } });
    const { Mounts: _mounts, ...container } = (spec.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec!;
    expect((kept.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec).toMatchObject(container);
    const end = Date.now() + 90_000;
    let task: (SwarmTask & { Status?: { ContainerStatus?: { ContainerID?: string } } }) | undefined;
    while (!(task = ((await manager.listTasks({ filters: { service: [id], 'desired-state': ['running'] } })) as SwarmTask[]).find((t) => t.Status?.State === 'running'))) {
      if (Date.now() > end) throw new Error('the full service never ran');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(task.NodeID).toBe(((await manager.listNodes()) as { ID: string; Spec: { Role: string } }[]).find((n) => n.Spec.Role === 'worker')!.ID);
    const sh = (cmd: string) => spawnSync('docker', ['-H', lab!.worker.host, 'exec', task!.Status!.ContainerStatus!.ContainerID!, 'sh', '-c', cmd], { encoding: 'utf8' }).stdout.trim();
    expect(sh('cat /tmp/greeting; hostname; cat /etc/app.conf; echo; stat -c %a /etc/app.conf; awk "/open files/{print \\$4, \\$5}" /proc/1/limits; cat /proc/sys/net/ipv4/tcp_syncookies; pwd').split('\n')).toEqual(['hi', 'full-host', 'a=1', '440', '1024 2048', '0', '/tmp']);
    expect(sh('touch /x 2>&1 || echo read-only')).toContain('read-only');
    expect(sh('grep gw /etc/hosts')).toMatch(new RegExp(`^10\\.231\\.${octet}\\.1\\s+gw`));
    const volumes = (await lab!.worker.docker.listVolumes({ filters: { name: [`${project}_data`] } })) as { Volumes: { Labels: Record<string, string> }[] };
    expect(volumes.Volumes[0]?.Labels).toEqual({ keep: 'no', 'com.docker.stack.namespace': project });
    await manager.getService(id).remove();
  }, 200_000);

  it('runs a service another waits to complete as a job: it exits 0 once and is not started again', async () => {
    const stack = await load('second-token');
    const spec = swarmServiceSpec(stack.services.once!, { project, image: IMAGE, networks: { back: network }, volumes: stack.volumes, secrets: {}, configs: {}, job: true });
    const id = (await manager.createService(spec)).id;
    const end = Date.now() + 90_000;
    let states: string[] = [];
    while (!states.includes('complete')) {
      if (Date.now() > end) throw new Error(`the job never completed: ${states.join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
      states = ((await manager.listTasks({ filters: { service: [id] } })) as SwarmTask[]).map((t) => t.Status?.State ?? '?');
    }
    await new Promise((r) => setTimeout(r, 3000));
    expect(((await manager.listTasks({ filters: { service: [id] } })) as SwarmTask[]).map((t) => t.Status?.State)).toEqual(['complete']);
    await manager.getService(id).remove();
  }, 200_000);

  it('rolls back an update whose task never gets healthy (failure_action: rollback), with the reason', async () => {
    const stack = await load('second-token');
    const broken = structuredClone(stack.services.web!);
    broken.command = ['sh', '-c', 'exec sleep 1d'];
    broken.environment.VERSION = '2';
    const spec = swarmServiceSpec(broken, { project, image: IMAGE, networks: { back: network }, volumes: stack.volumes, secrets: { token: secret }, configs: {} });
    const states: string[] = [];
    const outcome = await updateService(api(), serviceId, () => spec, { timeoutMs: 180_000, onStatus: (s) => states.push(s.State!) });
    expect(outcome.state).toBe('rolled-back');
    // Swarm's reason lives only in the short rollback_started state; when a loaded machine's poll misses
    // it, the failed task is found among the service's tasks: the reason is there either way, with its error.
    expect(outcome).toMatchObject({ message: expect.stringMatching(/^update rolled back due to failure or early termination of task \S+: (failed|rejected|shutdown|complete)\b/) });
    const service = (await api().inspect(serviceId)).Spec!;
    expect((service.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec!.Env).toContain('VERSION=1');
    await waitRunning(1);
    const [task] = await runningTasks();
    expect(task!.Spec!.ContainerSpec!.Env).toContain('VERSION=1');
  }, 300_000);
});
