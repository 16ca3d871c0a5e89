import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { keptPortBindings, recreateRequest } from './reset-docker-snapshot.js';
import { snapshotInfos, snapshotRepo, type SnapshotImage } from './snapshot-store.js';

describe('keptPortBindings', () => {
  it('publishes again on the host ports the engine had chosen; fixed ones and unknown ones stay as written', () => {
    const bindings = { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '53/udp': [{ HostIp: '', HostPort: '5353' }], '9000/tcp': [{ HostIp: '', HostPort: '' }] };
    const kept = [
      { target: 8080, protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 32775 },
      { target: 53, protocol: 'udp' as const, hostIp: '0.0.0.0', hostPort: 5353 },
      { target: 8080, protocol: 'udp' as const, hostIp: '127.0.0.1', hostPort: 40000 },
    ];
    expect(keptPortBindings(bindings, kept)).toEqual({
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '32775' }],
      '53/udp': [{ HostIp: '', HostPort: '5353' }],
      '9000/tcp': [{ HostIp: '', HostPort: '' }],
    });
    expect(keptPortBindings(undefined, kept)).toEqual({});
  });
});

describe('recreateRequest', () => {
  const inspect = {
    Id: 'abcdef123456789',
    Name: '/shop-api-1',
    Config: { Image: 'shop/api:1', Hostname: 'api', Env: ['A=1'], Labels: { 'io.hafen.project': 'shop' }, Cmd: ['node'] },
    HostConfig: { NetworkMode: 'shop_front', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] }, Binds: ['shop_data:/data'] },
    NetworkSettings: {
      Networks: {
        shop_back: { Aliases: ['api', 'abcdef123456'], IPAMConfig: null, Links: null, DriverOpts: null },
        shop_front: { Aliases: ['api'], IPAMConfig: { IPv4Address: '10.5.0.9' }, Links: null, DriverOpts: null },
      },
    },
  } as unknown as Docker.ContainerInspectInfo;

  it('makes the container again on the snapshot image: same name, configuration and labels, its network mode first, the others connected after, ports kept', () => {
    const { options, extra } = recreateRequest(inspect, 'sha256:snap', [{ target: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 40123 }]);
    expect(options).toMatchObject({ name: 'shop-api-1', Image: 'sha256:snap', Hostname: 'api', Env: ['A=1'], Labels: { 'io.hafen.project': 'shop' }, Cmd: ['node'] });
    expect(options.HostConfig).toMatchObject({ NetworkMode: 'shop_front', Binds: ['shop_data:/data'], PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '40123' }] } });
    expect(options.NetworkingConfig).toEqual({ EndpointsConfig: { shop_front: { Aliases: ['api'], IPAMConfig: { IPv4Address: '10.5.0.9' } } } });
    // The engine's own alias (the short container ID) is not carried over to the new container.
    expect(extra).toEqual([['shop_back', { Aliases: ['api'] }]]);
  });

  it('connects no network for a container on the host\'s network', () => {
    const host = { ...inspect, HostConfig: { NetworkMode: 'host' }, NetworkSettings: { Networks: { host: {} } } } as unknown as Docker.ContainerInspectInfo;
    const { options, extra } = recreateRequest(host, 'sha256:snap', []);
    expect(options.NetworkingConfig).toBeUndefined();
    expect(extra).toEqual([]);
  });
});

describe('snapshot images', () => {
  const image = (name: string, container: string, extra: Partial<SnapshotImage> = {}): SnapshotImage => ({
    id: `sha256:${container}`,
    name,
    ref: `${snapshotRepo('shop', container)}:${name}`,
    container,
    service: container.split('-')[1]!,
    created: '2026-12-06T10:00:00.000Z',
    volumes: {},
    layerBytes: 100,
    volumeBytes: 0,
    base: 'sha256:base',
    ...extra,
  });

  it('are tagged in a repository per project and container that Docker accepts', () => {
    expect(snapshotRepo('shop', 'shop-api-1')).toBe('hafen-snapshot/shop/shop-api-1');
    expect(snapshotRepo('My_Shop', 'My_Shop-Web.x-1')).toBe('hafen-snapshot/my-shop/my-shop-web-x-1');
  });

  it('group into snapshots oldest first, the volume copies counted once per snapshot', () => {
    const copies = { shop_data: 'shop_data.snapshot-1' };
    const infos = snapshotInfos('shop', [
      image('seeded', 'shop-db-1', { volumes: copies, volumeBytes: 5000, created: '2026-12-06T11:00:00.000Z' }),
      image('seeded', 'shop-api-1', { volumes: copies, volumeBytes: 5000, created: '2026-12-06T11:00:00.000Z' }),
      image('empty', 'shop-api-1'),
    ]);
    expect(infos).toEqual([
      { name: 'empty', project: 'shop', services: ['api'], containers: ['shop-api-1'], volumes: [], size: 100, createdAt: '2026-12-06T10:00:00.000Z' },
      { name: 'seeded', project: 'shop', services: ['api', 'db'], containers: ['shop-api-1', 'shop-db-1'], volumes: ['shop_data'], size: 5200, createdAt: '2026-12-06T11:00:00.000Z' },
    ]);
  });
});
