/** normalizeStack and normalizeService on raw (schema-valid) input, without files. */
import { describe, expect, it } from 'vitest';
import { Issues } from './issues.js';
import type { PortMapping } from './model.js';
import { normalizeStack } from './normalize.js';
import type { RawService, RawStack } from './raw.js';
import { normalizeService, type NormalizeContext } from './service.js';
import { StackSourceMap } from './source-map.js';

function context(env: Record<string, string> = {}): NormalizeContext {
  return {
    dir: '/stack',
    env: (name) => env[name],
    home: '/home/me',
    envFiles: new Map([['/stack/app.env', { vars: { FROM_FILE: '1', SHARED: 'file' }, issues: [] }]]),
    issues: new Issues(new StackSourceMap('stack.yaml')),
    portOrigins: new Map<PortMapping, string>(),
  };
}

const service = (raw: RawService, ctx = context()) => ({ s: normalizeService('api', raw, ctx), issues: ctx.issues.list.map((i) => `${i.location.path}: ${i.message}`), ctx });

describe('normalizeService', () => {
  it('expands every short form', () => {
    const { s, issues } = service({
      image: 'host',
      build: { context: 'api', args: ['V=1', 'FROM_ENV'], labels: { a: 1 } },
      command: ['node', 'x.js'],
      env_file: 'app.env',
      environment: { SHARED: 'own', N: 3 },
      labels: ['team=core', 'flag'],
      volumes: ['data:/data', { type: 'tmpfs', target: '/tmp' }],
      ports: ['8000-8001:9000-9001', { target: 22 }],
      pull_policy: 'if_not_present',
      healthcheck: { test: 'true', timeout: '2s' },
      stop_grace_period: '1m',
      restart: 'on-failure',
    }, context({ FROM_ENV: 'e' }));
    expect(issues).toEqual([]);
    expect(s).toMatchObject({
      build: { context: '/stack/api', dockerfile: 'Dockerfile', args: { V: '1', FROM_ENV: 'e' }, labels: { a: '1' }, no_cache: false },
      command: ['node', 'x.js'],
      environment: { FROM_FILE: '1', SHARED: 'own', N: '3' },
      env_file: ['/stack/app.env'],
      labels: { team: 'core', flag: '' },
      volumes: [{ type: 'volume', source: 'data', target: '/data', read_only: false }, { type: 'tmpfs', target: '/tmp' }],
      pull_policy: 'missing',
      healthcheck: { test: ['CMD-SHELL', 'true'], timeout: 2000 },
      stop_grace_period: 60_000,
      restart: { policy: 'on-failure' },
    });
    expect(s.ports).toHaveLength(3);
  });

  it('remembers which entry each port came from', () => {
    const { s, ctx } = service({ image: 'host', ports: ['80', '8000-8001:9000-9001'] });
    expect(s.ports.map((p) => ctx.portOrigins.get(p))).toEqual(['services.api.ports[0]', 'services.api.ports[1]', 'services.api.ports[1]']);
  });

  it('collects every bad entry, keeps going, and falls back to defaults', () => {
    const { s, issues } = service({
      image: 'host',
      environment: ['=nameless', 'OK=1'],
      labels: ['has space=1'],
      ports: ['bad', '80'],
      volumes: ['rel:tive'],
      links: ['a:b:c'],
      volumes_from: ['container:x'],
      expose: ['70000'],
      extra_hosts: ['nohost'],
      stop_grace_period: 'soon',
      depends_on: ['db', 'db'],
      healthcheck: { interval: 'often' },
      ready: {},
      networks: { back: { ipv4_address: '10.0.0.999' } },
      resources: { cpus: 'lots' },
    });
    expect(issues).toEqual([
      'services.api.environment[0]: expected NAME=VALUE: the name before "=" is empty',
      'services.api.labels[0]: expected NAME=VALUE: the name has a space in it (the entry is not shown)',
      'services.api.volumes[0]: the mount target "tive" must be an absolute path inside the container',
      'services.api.networks.back.ipv4_address: expected an IPv4 address like 10.5.0.7, got "10.0.0.999"',
      'services.api.ports[0]: "bad" is not a container port or range; expected "80", "8080:80" or "127.0.0.1:8080:80", each with an optional /tcp or /udp',
      'services.api.expose[0]: expected a port from 1 to 65535 or a range like "3000-3005", got "70000"',
      'services.api.links[0]: expected "SERVICE" or "SERVICE:ALIAS", got "a:b:c"',
      'services.api.extra_hosts[0]: expected "HOST:IP" with an IP address (or host-gateway), got "nohost:"',
      'services.api.resources.cpus: expected a number of CPUs more than 0 like 0.5 or 2, got "lots"',
      'services.api.stop_grace_period: expected a duration like 1m30s, 500ms, 2h or 1.5s, got "soon"',
      'services.api.depends_on[1]: "db" is listed twice',
      'services.api.volumes_from[0]: "container:x": mounting from a container outside the stack is not supported; name a service',
      'services.api.healthcheck.interval: expected a duration like 1m30s, 500ms, 2h or 1.5s, got "often"',
      'services.api.ready: a ready check takes exactly one of tcp, http, log or exec; none is given',
    ]);
    expect(s.ports).toEqual([{ target: 80, host_ip: '127.0.0.1', protocol: 'tcp' }]);
    expect(s.stop_grace_period).toBe(10_000);
    expect(s.environment).toEqual({ OK: '1' });
  });

  it('keeps a git URL build context as written (the runtime decides), and refuses ~ without a home', () => {
    const ctx = context();
    delete ctx.home;
    const { issues, s } = service({ build: 'https://github.com/x/y.git', volumes: ['~/x:/x'] }, ctx);
    expect(issues).toEqual(['services.api.volumes[0]: cannot expand "~" in "~/x": HOME is not set']);
    expect(s.build).toMatchObject({ context: 'https://github.com/x/y.git', remote: true });
  });
});

describe('normalizeStack', () => {
  it('normalizes networks, volumes and ships, and adds the default network when used', () => {
    const raw: RawStack = {
      runtime: 'docker',
      services: { a: { image: 'host' }, b: { image: 'host', networks: ['back'] } },
      networks: { back: { internal: true, ipam: { config: [{ subnet: '10.1.0.0/16' }] }, labels: ['x=y'] }, ext: { external: true }, bad: { ipam: { config: [{ subnet: '10.1.0.0' }] } } },
      volumes: { data: null, old: { external: true, labels: { k: 'v' } } },
      ships: { east: { docker: 'tcp://h:2376', tls: { ca: 'ca.pem', verify: false } } },
      'x-meta': 1,
    };
    const ctx = context();
    const stack = normalizeStack(raw, { name: 'p', file: '/stack/stack.yaml', files: ['/stack/stack.yaml'], dir: '/stack', source: ctx.issues.source }, ctx);
    expect(ctx.issues.list.map((i) => `${i.location.path}: ${i.message}`)).toEqual(['networks.bad.ipam.config[0].subnet: expected a subnet like 10.10.0.0/24, got "10.1.0.0"']);
    expect(stack.runtime).toBe('docker');
    const plain = { attachable: false, enable_ipv6: false, driver_opts: {}, ipam: [] };
    expect(stack.networks).toEqual({
      back: { ...plain, name: 'p_back', external: false, internal: true, subnet: '10.1.0.0/16', ipam: [{ subnet: '10.1.0.0/16', aux_addresses: {} }], labels: { x: 'y' } },
      ext: { ...plain, name: 'ext', external: true, internal: false, labels: {} },
      bad: { ...plain, name: 'p_bad', external: false, internal: false, ipam: [{ aux_addresses: {} }], labels: {} },
      default: { ...plain, name: 'p_default', external: false, internal: false, labels: {} },
    });
    expect(stack.volumes).toEqual({
      data: { name: 'p_data', external: false, labels: {}, driver_opts: {} },
      old: { name: 'old', external: true, labels: { k: 'v' }, driver_opts: {} },
    });
    expect(stack.ships).toEqual({ east: { name: 'east', docker: 'tcp://h:2376', tls: { ca: '/stack/ca.pem', verify: false } } });
    expect(stack.extensions).toEqual({ 'x-meta': 1 });
  });
});

describe('archive images', () => {
  it('resolves a relative docker-archive: or oci: path against the stack file folder', async () => {
    const { archivePathFromFile } = await import('./service.js');
    expect(archivePathFromFile('docker-archive:./img/app.tar', '/srv/stack')).toBe('docker-archive:/srv/stack/img/app.tar');
    expect(archivePathFromFile('oci:layout:v1', '/srv/stack')).toBe('oci:/srv/stack/layout:v1');
    expect(archivePathFromFile('docker-archive:/abs/app.tar:app', '/srv/stack')).toBe('docker-archive:/abs/app.tar:app');
    expect(archivePathFromFile('busybox:1.36', '/srv/stack')).toBe('busybox:1.36');
  });
});
