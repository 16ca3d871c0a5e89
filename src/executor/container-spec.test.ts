import { describe, expect, it } from 'vitest';
import type { Service } from '../config/model.js';
import { makeStack, type ServiceInput } from '../planner/test-stack.js';
import type { ContainerSpec } from '../runtime/runtime.js';
import { containerSpec } from './container-spec.js';

/** The spec of instance `number` of service `svc` in a stack named shop with volume `data` and network `back`. */
function spec(input: ServiceInput, number = 1, extra: { external?: boolean } = {}): ContainerSpec {
  const stack = makeStack({
    name: 'shop',
    volumes: { data: {}, shared: { external: extra.external ?? false } },
    networks: { back: {}, outside: { external: true } },
    services: { svc: input, other: { volumes: [{ type: 'volume', source: 'data', target: '/data', read_only: false }] } },
  });
  const service = stack.services.svc as Service;
  return containerSpec(stack, service, { service: 'svc', number, container: `shop-svc-${number}`, image: 'host', configHash: 'abc' });
}

describe('containerSpec', () => {
  it('names a 63-character service\'s containers by the service alone where the kernel\'s 64-byte host name cannot hold NAME-N', () => {
    const long = 's'.repeat(63);
    const stack = makeStack({ name: 'shop', services: { [long]: {}, [`${'t'.repeat(62)}`]: {} } });
    const of = (name: string) => containerSpec(stack, stack.services[name] as Service, { service: name, number: 1, container: `shop-${name}-1`, image: 'host', configHash: 'abc' });
    expect(of(long).hostname).toBe(long);
    expect(of('t'.repeat(62)).hostname).toBe(`${'t'.repeat(62)}-1`);
  });

  it.each<[string, ServiceInput, Partial<ContainerSpec>]>([
    ['labels name project, service, instance and config hash', { labels: { team: 'x' } }, {
      labels: { team: 'x', 'io.hafen.project': 'shop', 'io.hafen.service': 'svc', 'io.hafen.instance': '1', 'io.hafen.config-hash': 'abc' },
    }],
    ['hostname is the instance name', {}, { hostname: 'svc-1', name: 'shop-svc-1', image: 'host' }],
    ['hostname: wins', { hostname: 'box' }, { hostname: 'box' }],
    ['env, command, entrypoint, user, working dir', { environment: { A: '1' }, command: ['run'], entrypoint: ['/init'], user: 'app', working_dir: '/app' }, {
      env: { A: '1' }, command: ['run'], entrypoint: ['/init'], user: 'app', workingDir: '/app',
    }],
    ['the default network, answering to the service and instance names', {}, {
      networks: [{ name: 'shop_default', aliases: ['svc', 'svc-1'] }],
    }],
    ['named networks with aliases and a fixed address; external ones by their own name', {
      networks: { back: { aliases: ['database'], ipv4_address: '10.5.0.9' }, outside: { aliases: [] } },
    }, {
      networks: [
        { name: 'shop_back', aliases: ['svc', 'svc-1', 'database'], ipv4Address: '10.5.0.9' },
        { name: 'outside', aliases: ['svc', 'svc-1'] },
      ],
    }],
    ['named volumes as <project>_<name>, binds, anonymous volumes and tmpfs', {
      volumes: [
        { type: 'volume', source: 'data', target: '/data', read_only: false },
        { type: 'bind', source: '/work/seed', target: '/seed', read_only: true, create_host_path: true },
        { type: 'volume', target: '/cache', read_only: false },
        { type: 'tmpfs', target: '/tmp', size: 1024 },
      ],
      tmpfs: ['/run:size=64m,mode=1777'],
    }, {
      mounts: [
        { type: 'volume', source: 'shop_data', target: '/data', readOnly: false },
        { type: 'bind', source: '/work/seed', target: '/seed', readOnly: true },
        { type: 'volume', source: '', target: '/cache', readOnly: false },
        { type: 'tmpfs', target: '/tmp', size: 1024 },
        { type: 'tmpfs', target: '/run', size: 64 * 1024 * 1024, mode: 0o1777 },
      ],
    }],
    ['volumes_from borrows the other service\'s volumes, read-only when asked', { volumes_from: [{ service: 'other', read_only: true }] }, {
      mounts: [{ type: 'volume', source: 'shop_data', target: '/data', readOnly: true }],
    }],
    ['ports, resources, stop signal and grace', {
      ports: [{ target: 80, published: 8080, host_ip: '127.0.0.1', protocol: 'tcp' }],
      resources: { memory: 1 << 28, cpus: 0.5, pids: 100 },
      stop_signal: 'SIGINT',
      stop_grace_period: 3000,
    }, {
      ports: [{ target: 80, published: 8080, host_ip: '127.0.0.1', protocol: 'tcp' }],
      resources: { memory: 1 << 28, cpus: 0.5, pids: 100 },
      stopSignal: 'SIGINT',
      stopGracePeriod: 3000,
    }],
    ['the healthcheck, for the runtime to run', {
      healthcheck: { test: ['CMD', 'true'], interval: 1000, timeout: 500, retries: 3, start_period: 0, start_interval: 50 },
    }, {
      healthcheck: { test: ['CMD', 'true'], interval: 1000, timeout: 500, retries: 3, start_period: 0, start_interval: 50 },
    }],
    ['flags', { tty: true, stdin_open: true, read_only: true, privileged: true, cap_add: ['NET_ADMIN'], cap_drop: ['ALL'], extra_hosts: { gw: '10.0.0.1' } }, {
      tty: true, stdinOpen: true, readOnly: true, privileged: true, capAdd: ['NET_ADMIN'], capDrop: ['ALL'], extraHosts: { gw: '10.0.0.1' },
    }],
  ])('%s', (_, input, expected) => {
    expect(spec(input)).toMatchObject(expected);
  });

  it('names a later replica by its number', () => {
    expect(spec({ replicas: 3 }, 2)).toMatchObject({ name: 'shop-svc-2', hostname: 'svc-2', labels: { 'io.hafen.instance': '2' } });
  });

  it('leaves out what the service does not set', () => {
    const s = spec({});
    for (const key of ['command', 'entrypoint', 'user', 'workingDir', 'healthcheck'] as const) expect(s).not.toHaveProperty(key);
  });
});
