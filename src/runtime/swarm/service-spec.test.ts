/** A stack file's service as a Swarm ServiceSpec: one table per area, read from real stack files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../config/index.js';
import type { Stack } from '../../config/model.js';
import { completionGatedServices, swarmServiceSpec, type SwarmSpecContext } from './service-spec.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function load(yaml: string): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-swarm-spec-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  fs.writeFileSync(path.join(dir, 'key.txt'), 'k');
  return loadStack({ cwd: dir, env: { TOKEN: 's3cret' } });
}

function contextOf(stack: Stack, extra: Partial<SwarmSpecContext> = {}): SwarmSpecContext {
  const ids = (keys: string[], prefix: string) => Object.fromEntries(keys.map((k) => [k, { id: `${prefix}-${k}`, name: `${stack.name}_${k}_0123abcd` }]));
  return {
    project: stack.name,
    image: 'reg.local:5000/app@sha256:' + 'a'.repeat(64),
    networks: Object.fromEntries(Object.entries(stack.networks).map(([k, n]) => [k, `id-${n.name}`])),
    volumes: stack.volumes,
    secrets: ids(Object.keys(stack.secrets), 'sec'),
    configs: ids(Object.keys(stack.configs), 'cfg'),
    ...extra,
  };
}

/** The spec of service `app`, written as the YAML lines under it. */
async function specOf(serviceYaml: string, top = '', extra: Partial<SwarmSpecContext> = {}) {
  const stack = await load(`name: shop\nservices:\n  app:\n    image: app:1\n${serviceYaml.replace(/^/gm, '    ')}\n${top}`);
  return swarmServiceSpec(stack.services.app!, contextOf(stack, extra));
}

const S = 1e9;

describe('swarmServiceSpec: names and labels', () => {
  it('names the service <project>_<service> and labels it as docker stack deploy and hafen do', async () => {
    const spec = await specOf('labels: {tier: web}\ndeploy: {labels: {owner: team-a}}', '', { configHash: 'abc' });
    expect(spec.Name).toBe('shop_app');
    expect(spec.Labels).toEqual({
      owner: 'team-a',
      'com.docker.stack.namespace': 'shop',
      'com.docker.stack.image': 'app:1',
      'io.hafen.project': 'shop',
      'io.hafen.service': 'app',
      'io.hafen.config-hash': 'abc',
    });
    const c = (spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec;
    expect(c.Labels).toEqual({ tier: 'web', 'com.docker.stack.namespace': 'shop', 'io.hafen.project': 'shop', 'io.hafen.service': 'app' });
    expect(c.Image).toBe('reg.local:5000/app@sha256:' + 'a'.repeat(64));
  });
});

describe('swarmServiceSpec: the container', () => {
  it.each([
    ['command: ["serve", "--port", "80"]', { Args: ['serve', '--port', '80'] }],
    ['entrypoint: /bin/app\ncommand: run', { Command: ['/bin/app'], Args: ['run'] }],
    ['environment: {B: "2", A: "1"}', { Env: ['A=1', 'B=2'] }],
    ['working_dir: /srv\nuser: "1000:1000"\nhostname: web', { Dir: '/srv', User: '1000:1000', Hostname: 'web' }],
    ['init: true\nread_only: true\ntty: true\nstdin_open: true', { Init: true, ReadOnly: true, TTY: true, OpenStdin: true }],
    ['stop_grace_period: 3s\nstop_signal: INT', { StopGracePeriod: 3 * S, StopSignal: 'SIGINT' }],
    ['sysctls: {net.core.somaxconn: 1024}', { Sysctls: { 'net.core.somaxconn': '1024' } }],
    ['cap_add: [NET_ADMIN]\ncap_drop: [ALL]', { CapabilityAdd: ['NET_ADMIN'], CapabilityDrop: ['ALL'] }],
    ['ulimits: {nproc: 64, nofile: {soft: 1024, hard: 2048}}', { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'nproc', Soft: 64, Hard: 64 }] }],
    ['extra_hosts: ["gw:10.0.0.1"]', { Hosts: ['10.0.0.1 gw'] }],
    ['dns: [10.0.0.2]\ndns_search: [corp]\ndns_opt: [ndots:1]', { DNSConfig: { Nameservers: ['10.0.0.2'], Search: ['corp'], Options: ['ndots:1'] } }],
    ['group_add: [audio]', { Groups: ['audio'] }],
  ])('%s', async (yaml, expected) => {
    const spec = await specOf(yaml);
    expect((spec.TaskTemplate as { ContainerSpec: object }).ContainerSpec).toMatchObject(expected);
  });

  it('leaves out what the file does not say (the image decides)', async () => {
    const c = (await specOf('restart: "no"')).TaskTemplate as { ContainerSpec: Record<string, unknown> };
    for (const key of ['Command', 'Args', 'Dir', 'User', 'Hostname', 'Init', 'ReadOnly', 'Healthcheck', 'Mounts', 'Secrets', 'Configs']) expect(c.ContainerSpec).not.toHaveProperty(key);
    expect(c.ContainerSpec.StopGracePeriod).toBe(10 * S);
  });
});

describe('swarmServiceSpec: healthcheck', () => {
  it.each([
    ['healthcheck: {test: "curl -f localhost", interval: 2s, timeout: 1s, retries: 5, start_period: 3s}', { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 2 * S, Timeout: S, Retries: 5, StartPeriod: 3 * S }],
    ['healthcheck: {disable: true}', { Test: ['NONE'] }],
    ['healthcheck: {interval: 1s}', { Interval: S }],
  ])('%s', async (yaml, expected) => {
    const c = (await specOf(yaml)).TaskTemplate as { ContainerSpec: { Healthcheck: unknown } };
    expect(c.ContainerSpec.Healthcheck).toEqual(expected);
  });
});

describe('swarmServiceSpec: networks', () => {
  it('attaches each network by id, with its aliases and the service name, sorted', async () => {
    const spec = await specOf('networks: {front: {}, back: {aliases: [api]}}', 'networks: {front: {}, back: {}}\n');
    expect((spec.TaskTemplate as { Networks: unknown }).Networks).toEqual([
      { Target: 'id-shop_back', Aliases: ['api', 'app'] },
      { Target: 'id-shop_front', Aliases: ['app'] },
    ]);
  });
  it('joins the default network when none is named', async () => {
    const spec = await specOf('restart: "no"');
    expect((spec.TaskTemplate as { Networks: unknown }).Networks).toEqual([{ Target: 'id-shop_default', Aliases: ['app'] }]);
  });
});

describe('swarmServiceSpec: deploy', () => {
  it.each([
    ['replicas: 3', { Mode: { Replicated: { Replicas: 3 } } }],
    ['deploy: {mode: global}', { Mode: { Global: {} } }],
    ['deploy: {mode: replicated-job, replicas: 2}', { Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } } }],
    ['deploy: {mode: global-job}', { Mode: { GlobalJob: {} } }],
    ['deploy: {endpoint_mode: dnsrr}', { EndpointSpec: { Mode: 'dnsrr' } }],
    [
      'deploy: {update_config: {parallelism: 2, delay: 5s, failure_action: rollback, monitor: 10s, max_failure_ratio: 0.5, order: start-first}}',
      { UpdateConfig: { Parallelism: 2, Delay: 5 * S, FailureAction: 'rollback', Monitor: 10 * S, MaxFailureRatio: 0.5, Order: 'start-first' } },
    ],
    ['deploy: {rollback_config: {}}', { RollbackConfig: { Parallelism: 1, MaxFailureRatio: 0, Order: 'stop-first' } }],
  ])('%s', async (yaml, expected) => {
    expect(await specOf(yaml)).toMatchObject(expected);
  });

  it('runs a service others wait to complete as a job, restarting it only when written', async () => {
    const spec = await specOf('deploy: {update_config: {parallelism: 2}}', '', { job: true });
    expect(spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(spec).not.toHaveProperty('UpdateConfig');
    expect((spec.TaskTemplate as { RestartPolicy: unknown }).RestartPolicy).toEqual({ Condition: 'none' });
    const global = await specOf('deploy: {mode: global}', '', { job: true });
    expect(global.Mode).toEqual({ GlobalJob: {} });
  });

  it.each([
    ['restart: "no"', undefined],
    ['restart: always', { Condition: 'any' }],
    ['restart: unless-stopped', { Condition: 'any' }],
    ['restart: on-failure:3', { Condition: 'on-failure', MaxAttempts: 3 }],
    ['deploy: {restart_policy: {condition: on-failure, delay: 2s, max_attempts: 4, window: 30s}}', { Condition: 'on-failure', Delay: 2 * S, MaxAttempts: 4, Window: 30 * S }],
    ['deploy: {restart_policy: {max_attempts: 1}}', { Condition: 'any', MaxAttempts: 1 }],
  ])('restart: %s', async (yaml, expected) => {
    const task = (await specOf(yaml)).TaskTemplate as { RestartPolicy?: unknown };
    expect(task.RestartPolicy).toEqual(expected);
  });

  it.each([
    ['deploy: {resources: {limits: {cpus: "0.5", memory: 64m, pids: 100}}}', { Limits: { NanoCPUs: 0.5 * S, MemoryBytes: 64 << 20, Pids: 100 } }],
    ['deploy: {resources: {reservations: {cpus: "0.25", memory: 32m}}}', { Reservations: { NanoCPUs: 0.25 * S, MemoryBytes: 32 << 20 } }],
    [
      'deploy: {resources: {reservations: {generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}]}}}',
      { Reservations: { GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 2 } }] } },
    ],
  ])('resources: %s', async (yaml, expected) => {
    expect(((await specOf(yaml)).TaskTemplate as { Resources: unknown }).Resources).toEqual(expected);
  });

  it('places by constraints, spread preferences, a per-node limit and the platform', async () => {
    const spec = await specOf('platform: linux/arm64\ndeploy: {placement: {constraints: ["node.role == worker"], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 1}}');
    expect((spec.TaskTemplate as { Placement: unknown }).Placement).toEqual({
      Constraints: ['node.role == worker'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
      MaxReplicas: 1,
      Platforms: [{ OS: 'linux', Architecture: 'arm64' }],
    });
  });
});

describe('swarmServiceSpec: ports', () => {
  it('publishes in ingress mode unless the long syntax says host, sorted by published port', async () => {
    const spec = await specOf('ports: ["9090:90", {target: 80, published: 8080, mode: host}, {target: 53, protocol: udp}]');
    expect(spec.EndpointSpec).toEqual({
      Ports: [
        { Protocol: 'udp', TargetPort: 53, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' },
        { Protocol: 'tcp', TargetPort: 90, PublishedPort: 9090, PublishMode: 'ingress' },
      ],
    });
  });
});

describe('swarmServiceSpec: mounts', () => {
  it('mounts named volumes as each node\'s local volume, binds and tmpfs', async () => {
    const spec = await specOf(
      'volumes: ["data:/data", "/srv/seed:/seed:ro", {type: tmpfs, target: /cache, tmpfs: {size: 1m}}, "/anon", "ext:/ext"]\ntmpfs: ["/run:size=64k,mode=1777"]',
      'volumes: {data: {labels: {backup: "yes"}, driver_opts: {type: tmpfs, device: tmpfs}}, ext: {external: true}}\n',
    );
    expect((spec.TaskTemplate as { ContainerSpec: { Mounts: unknown } }).ContainerSpec.Mounts).toEqual([
      {
        Type: 'volume',
        Source: 'shop_data',
        Target: '/data',
        ReadOnly: false,
        VolumeOptions: { Labels: { backup: 'yes', 'com.docker.stack.namespace': 'shop' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } },
      },
      { Type: 'bind', Source: '/srv/seed', Target: '/seed', ReadOnly: true },
      { Type: 'tmpfs', Target: '/cache', ReadOnly: false, TmpfsOptions: { SizeBytes: 1 << 20 } },
      { Type: 'volume', Target: '/anon', ReadOnly: false },
      { Type: 'volume', Source: 'ext', Target: '/ext', ReadOnly: false },
      { Type: 'tmpfs', Target: '/run', ReadOnly: false, TmpfsOptions: { SizeBytes: 64 << 10, Mode: 0o1777 } },
    ]);
  });
});

describe('swarmServiceSpec: secrets and configs', () => {
  it('refers to the rotated objects by id and name, with target, owner and mode', async () => {
    const spec = await specOf(
      'secrets: [token, {source: key, target: /etc/key, uid: "100", gid: "101", mode: 0400}]\nconfigs: [{source: conf, target: /etc/app.conf}]',
      'secrets: {token: {environment: TOKEN}, key: {file: ./key.txt}}\nconfigs: {conf: {content: "x=1"}}\n',
    );
    const c = (spec.TaskTemplate as { ContainerSpec: { Secrets: unknown; Configs: unknown } }).ContainerSpec;
    expect(c.Secrets).toEqual([
      { File: { Name: '/etc/key', UID: '100', GID: '101', Mode: 0o400 }, SecretID: 'sec-key', SecretName: 'shop_key_0123abcd' },
      { File: { Name: 'token', UID: '0', GID: '0', Mode: 0o444 }, SecretID: 'sec-token', SecretName: 'shop_token_0123abcd' },
    ]);
    expect(c.Configs).toEqual([{ File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: 'cfg-conf', ConfigName: 'shop_conf_0123abcd' }]);
    expect(JSON.stringify(spec)).not.toContain('s3cret');
  });
});

describe('completionGatedServices', () => {
  it('names the services others wait to complete', async () => {
    const stack = await load(
      'name: shop\nservices:\n  migrate: {image: m}\n  db: {image: d}\n  api:\n    image: a\n    depends_on: {migrate: {condition: service_completed_successfully}, db: {condition: service_healthy}}\n',
    );
    expect([...completionGatedServices(stack)]).toEqual(['migrate']);
  });
});
