import { describe, expect, it } from 'vitest';
import { normalizeContainerConfig, normalizeImageConfig, parseImageConfig } from './normalize-config.js';

const DIFF = `sha256:${'a'.repeat(64)}`;

describe('normalizeImageConfig', () => {
  it('reads the config `docker import` writes (nulls everywhere, empty strings) as "none"', () => {
    const raw = {
      architecture: 'amd64',
      comment: 'Imported from -',
      config: {
        Hostname: '',
        User: '',
        AttachStdin: false,
        Env: null,
        Cmd: null,
        Image: '',
        Volumes: null,
        WorkingDir: '',
        Entrypoint: null,
        OnBuild: null,
        Labels: null,
      },
      container_config: { Env: null },
      created: '2026-12-05T20:00:44.030396123Z',
      history: [{ created: '2026-12-05T20:00:44Z', comment: 'Imported from -' }],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [DIFF] },
    };
    expect(normalizeImageConfig(raw, 'image x')).toEqual({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-12-05T20:00:44.030396123Z',
      config: {},
      rootfs: { type: 'layers', diff_ids: [DIFF] },
      history: [{ created: '2026-12-05T20:00:44Z', comment: 'Imported from -' }],
    });
  });

  it.each([
    ['config: null', { config: null }],
    ['no config at all', {}],
    ['history: null', { config: {}, history: null }],
    ['rootfs.diff_ids: null', { config: {}, rootfs: { type: 'layers', diff_ids: null } }],
    ['no rootfs (umoci new)', { config: {} }],
  ])('%s is an empty image config, not an error', (_, raw) => {
    const c = normalizeImageConfig({ architecture: 'amd64', os: 'linux', ...raw }, 'image x');
    expect(c.config).toEqual({});
    expect(c.rootfs.diff_ids).toEqual([]);
    expect(c.history).toBeUndefined();
  });

  it('leaves out every null list and map field, and keeps those that are set', () => {
    const fields = ['Env', 'Entrypoint', 'Cmd', 'Volumes', 'ExposedPorts', 'Labels', 'OnBuild', 'Healthcheck', 'Shell', 'User', 'WorkingDir', 'StopSignal'];
    expect(normalizeContainerConfig(Object.fromEntries(fields.map((f) => [f, null])))).toEqual({});
    expect(
      normalizeContainerConfig({
        User: '1000:1000',
        Env: ['PATH=/bin', 'FOO', 'A=1', 'A=2'],
        Entrypoint: '/bin/app',
        Cmd: ['serve'],
        Volumes: { '/data': {}, '/cache': null },
        ExposedPorts: { '80/tcp': {} },
        Labels: { a: 'b', empty: null },
        OnBuild: ['RUN echo hi'],
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000, Timeout: null, Retries: 3 },
        Shell: ['/bin/ash', '-c'],
        WorkingDir: '/app',
        StopSignal: 'SIGUSR1',
        ArgsEscaped: true,
      }),
    ).toEqual({
      User: '1000:1000',
      Env: ['PATH=/bin', 'FOO', 'A=1', 'A=2'], // kept as Docker keeps them; containerEnv decides what a process sees
      Entrypoint: ['/bin/app'],
      Cmd: ['serve'],
      Volumes: { '/data': {}, '/cache': {} },
      ExposedPorts: { '80/tcp': {} },
      Labels: { a: 'b', empty: '' },
      OnBuild: ['RUN echo hi'],
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000, Retries: 3 },
      Shell: ['/bin/ash', '-c'],
      WorkingDir: '/app',
      StopSignal: 'SIGUSR1',
    });
  });

  it('reads a Healthcheck with a null Test as one without a test, and a numeric User as a uid', () => {
    expect(normalizeContainerConfig({ Healthcheck: { Test: null } })).toEqual({ Healthcheck: {} });
    expect(normalizeContainerConfig({ User: 1234 })).toEqual({ User: '1234' });
  });

  it.each([
    [{ config: { Env: 'A=1' } }, 'image x: the image config: config.Env must be a list of strings, got the string "A=1"'],
    [{ config: { Cmd: [1, 2] } }, 'config.Cmd must be a list of strings, got a list'],
    [{ config: { Volumes: ['/data'] } }, 'config.Volumes must be an object, got a list'],
    [{ config: { Labels: { a: 1 } } }, 'config.Labels.a must be a string, got the number 1'],
    [{ config: { Healthcheck: { Interval: '30s' } } }, 'config.Healthcheck.Interval must be a whole number of nanoseconds'],
    [{ config: 'x' }, 'config must be an object'],
    [{ rootfs: { diff_ids: ['abc'] } }, 'rootfs.diff_ids must be a list of sha256 digests'],
    [{ history: {} }, 'history must be a list'],
    [{ os: 7 }, 'os must be a string'],
  ])('refuses a field of the wrong type, naming it: %j', (raw, message) => {
    expect(() => normalizeImageConfig({ architecture: 'amd64', os: 'linux', ...raw }, 'image x')).toThrow(message);
  });

  it('refuses what is not a JSON object', () => {
    expect(() => parseImageConfig(Buffer.from('{'), 'image x')).toThrow('image x: the image config is not valid JSON');
    expect(() => parseImageConfig(Buffer.from('[]'), 'image x')).toThrow('image x: the image config must be a JSON object, got a list');
  });
});
