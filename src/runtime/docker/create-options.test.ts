import { describe, expect, it } from 'vitest';
import { defaultContainerSpec } from '../spec-defaults.js';
import { Label } from '../runtime.js';
import { createRequest, dockerHealthcheck, restartPolicy } from './create-options.js';

describe('createRequest', () => {
  it('maps a full spec to Docker 20.10 create options, extra networks connected later', () => {
    const spec = defaultContainerSpec('shop', 'api-1', {
      image: 'docker-archive:/tmp/api.tar',
      command: ['node', 'api.js'],
      env: { PORT: '8080' },
      user: 'app',
      labels: { [Label.project]: 'shop', [Label.service]: 'api', [Label.restart]: 'on-failure:3' },
      mounts: [
        { type: 'volume', source: 'shop_data', target: '/data/', readOnly: false },
        { type: 'volume', source: '', target: '/anon', readOnly: false },
        { type: 'bind', source: '/srv/seed', target: '/seed', readOnly: true },
        { type: 'tmpfs', target: '/tmp', size: 1 << 20 },
      ],
      networks: [
        { name: 'shop_backend', aliases: ['api'] },
        { name: 'shop_front', aliases: ['api'], ipv4Address: '10.5.0.9' },
      ],
      links: [{ service: 'db', alias: 'database' }],
      extraHosts: { gateway: '10.0.0.1' },
      ports: [
        { target: 8080, host_ip: '127.0.0.1', protocol: 'tcp' },
        { target: 53, published: 5353, host_ip: '0.0.0.0', protocol: 'udp' },
      ],
      resources: { memory: 128 << 20, cpus: 0.5, pids: 256 },
      healthcheck: { test: ['CMD', 'true'], interval: 2000, timeout: 1000, retries: 3, start_period: 500, start_interval: 50 },
      stopGracePeriod: 1500,
    });
    const { options, extraNetworks } = createRequest(spec, 'hafen-archive/api.tar:0123');
    expect(options).toMatchObject({
      name: 'shop-api-1',
      Image: 'hafen-archive/api.tar:0123',
      Cmd: ['node', 'api.js'],
      Env: ['PORT=8080'],
      User: 'app',
      Labels: { 'io.hafen.project': 'shop', 'io.hafen.image-ref': 'docker-archive:/tmp/api.tar' },
      StopTimeout: 2,
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 2e9, Timeout: 1e9, Retries: 3, StartPeriod: 5e8 },
      HostConfig: {
        Mounts: [
          { Type: 'volume', Source: 'shop_data', Target: '/data', ReadOnly: false },
          { Type: 'volume', Target: '/anon', ReadOnly: false },
          { Type: 'bind', Source: '/srv/seed', Target: '/seed', ReadOnly: true },
          { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1 << 20 } },
        ],
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }] },
        Memory: 128 << 20,
        MemorySwap: 128 << 20,
        NanoCpus: 5e8,
        PidsLimit: 256,
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
        ExtraHosts: ['gateway:10.0.0.1'],
        SecurityOpt: ['no-new-privileges'],
        NetworkMode: 'shop_backend',
      },
      NetworkingConfig: { EndpointsConfig: { shop_backend: { Aliases: ['api'], Links: ['db:database'] } } },
    });
    expect(extraNetworks).toEqual([{ network: 'shop_front', config: { Aliases: ['api'], IPAMConfig: { IPv4Address: '10.5.0.9' }, Links: ['db:database'] } }]);
  });

  it('gives a container without networks none, and a privileged one no no-new-privileges', () => {
    const { options } = createRequest(defaultContainerSpec('p', 'x', { image: 'busybox', privileged: true }), 'busybox');
    expect(options.HostConfig).toMatchObject({ NetworkMode: 'none', Privileged: true, SecurityOpt: [] });
    expect(options.NetworkingConfig).toBeUndefined();
  });

  it('sends an empty entrypoint or command as [] (the engine tells it from absent: [] clears the image entrypoint)', () => {
    const empty = createRequest(defaultContainerSpec('p', 'x', { image: 'busybox', entrypoint: [], command: [] }), 'busybox').options;
    expect(empty).toMatchObject({ Entrypoint: [], Cmd: [] });
    const absent = createRequest(defaultContainerSpec('p', 'x', { image: 'busybox' }), 'busybox').options;
    expect(absent).not.toHaveProperty('Entrypoint');
    expect(absent).not.toHaveProperty('Cmd');
  });
});

it("dockerHealthcheck: fields the stack file left out go as empty/0, for the engine to take from the image's HEALTHCHECK", () => {
  const h = { test: [], interval: 30_000, timeout: 30_000, retries: 5, start_period: 0, start_interval: 50, fromImage: ['test' as const, 'interval' as const, 'timeout' as const, 'start_period' as const] };
  expect(dockerHealthcheck(h)).toEqual({ Test: [], Interval: 0, Timeout: 0, Retries: 5, StartPeriod: 0 });
});

describe('restartPolicy', () => {
  it.each([
    [undefined, { Name: 'no' }],
    ['no', { Name: 'no' }],
    ['always', { Name: 'always' }],
    ['unless-stopped', { Name: 'unless-stopped' }],
    ['on-failure', { Name: 'on-failure', MaximumRetryCount: 0 }],
    ['on-failure:5', { Name: 'on-failure', MaximumRetryCount: 5 }],
  ])('%s', (label, policy) => expect(restartPolicy(label)).toEqual(policy));
});
