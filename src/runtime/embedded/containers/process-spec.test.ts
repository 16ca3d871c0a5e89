import { describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../launcher/capabilities.js';
import { normalizeContainerConfig } from '../store/index.js';
import {
  containerCapabilities,
  containerCommand,
  containerCwd,
  containerEnv,
  containerHealthcheck,
  healthcheckArgv,
  signalName,
  stopSignal,
} from './process-spec.js';

describe('containerCommand (Docker rules)', () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port', '80'] };
  it.each([
    ['image entrypoint and cmd', {}, image, ['/entry.sh', 'serve', '--port', '80']],
    ['a spec command keeps the image entrypoint', { command: ['migrate'] }, image, ['/entry.sh', 'migrate']],
    ['a spec entrypoint resets the image cmd', { entrypoint: ['sh', '-c'] }, image, ['sh', '-c']],
    ['both from the spec', { entrypoint: ['sh', '-c'], command: ['echo hi'] }, image, ['sh', '-c', 'echo hi']],
    ['cmd alone', {}, { Cmd: ['sh'] }, ['sh']],
    ['an empty spec entrypoint drops the image one', { entrypoint: [], command: ['true'] }, image, ['true']],
    // The engine's merge: an empty entrypoint or command counts as not given for the image's Cmd.
    ['an empty spec entrypoint alone keeps the image cmd', { entrypoint: [] }, image, ['serve', '--port', '80']],
    ['an empty spec command keeps the image cmd', { command: [] }, image, ['/entry.sh', 'serve', '--port', '80']],
    ['empty entrypoint and command: the image cmd alone', { entrypoint: [], command: [] }, image, ['serve', '--port', '80']],
    ['a spec entrypoint with an empty command: the entrypoint alone', { entrypoint: ['/bin/app'], command: [] }, image, ['/bin/app']],
    ['null entrypoint and cmd in the image config', { command: ['x'] }, normalizeContainerConfig({ Entrypoint: null, Cmd: null }), ['x']],
    ['an entrypoint of one empty word is none, and still drops the image cmd', { entrypoint: [''], command: ['x'] }, image, ['x']],
    ['an image entrypoint of one empty word is none', {}, { Entrypoint: [''], Cmd: ['sh'] }, ['sh']],
  ])('%s', (_, spec, config, expected) => {
    expect(containerCommand({ name: 'c', ...spec }, config)).toEqual(expected);
  });

  it('refuses a container with nothing to run, naming it', () => {
    expect(() => containerCommand({ name: 'shop-api-1' }, {})).toThrow('container shop-api-1: no command to run');
    expect(() => containerCommand({ name: 'c', entrypoint: [''] }, image)).toThrow('no command to run'); // as dockerd: "No command specified"
  });
});

describe('containerEnv', () => {
  it('layers a default PATH, HOSTNAME, the image env, the spec env and HOME', () => {
    const env = containerEnv({ hostname: 'api-1', env: { A: 'spec', C: 'c' } }, { Env: ['A=image', 'B=b=b', 'PATH=/bin'] }, '/home/app');
    expect(env).toEqual({ PATH: '/bin', HOSTNAME: 'api-1', A: 'spec', B: 'b=b', C: 'c', HOME: '/home/app' });
    expect(containerEnv({ hostname: 'h', env: { HOME: '/x' } }, {}, '/root').HOME).toBe('/x');
    expect(containerEnv({ hostname: 'h', env: {} }, {}, '').PATH).toMatch(/\/usr\/bin/);
  });

  it('drops image entries without "=" and lets the last of a repeated key win, as dockerd 20.10 with runc does', () => {
    const env = containerEnv({ hostname: 'h', env: {} }, { Env: ['FOO', 'A=1', 'PATH=/bin', 'A=2', '=x'] }, '/');
    expect(env).toEqual({ PATH: '/bin', HOSTNAME: 'h', A: '2', HOME: '/' });
  });
});

it('containerCwd: spec, image, or /', () => {
  expect(containerCwd({ workingDir: '/app' }, { WorkingDir: '/img' })).toBe('/app');
  expect(containerCwd({}, { WorkingDir: '/img' })).toBe('/img');
  expect(containerCwd({}, {})).toBe('/');
});

it('containerCapabilities: Docker defaults adjusted, everything when privileged', () => {
  expect(containerCapabilities({ privileged: false, capAdd: [], capDrop: [] }).sort()).toEqual([...DOCKER_DEFAULT_CAPABILITIES].sort());
  const adjusted = containerCapabilities({ privileged: false, capAdd: ['NET_ADMIN'], capDrop: ['chown'] });
  expect(adjusted).toContain('CAP_NET_ADMIN');
  expect(adjusted).not.toContain('CAP_CHOWN');
  expect(containerCapabilities({ privileged: true, capAdd: [], capDrop: [] })).toContain('CAP_SYS_ADMIN');
});

describe('signals', () => {
  it.each([
    ['TERM', 'SIGTERM'],
    ['sigint', 'SIGINT'],
    ['9', 'SIGKILL'],
    ['', 'SIGTERM'],
  ])('%s → %s', (text, name) => expect(signalName(text, 'c')).toBe(name));
  it('names the container for an unknown signal', () => expect(() => signalName('NOPE', 'shop-db-1')).toThrow('container shop-db-1: unknown signal "NOPE"'));
  it('takes the image STOPSIGNAL when the spec has none', () => {
    expect(stopSignal({ name: 'c', stopSignal: '' }, { StopSignal: 'SIGQUIT' })).toBe('SIGQUIT');
    expect(stopSignal({ name: 'c', stopSignal: 'SIGINT' }, { StopSignal: 'SIGQUIT' })).toBe('SIGINT');
  });
});

describe('healthchecks', () => {
  it('takes the spec one, else the image one (ns), with Docker defaults', () => {
    const spec = { test: ['CMD', 'true'], interval: 100, timeout: 50, retries: 2, start_period: 0, start_interval: 10 };
    expect(containerHealthcheck({ healthcheck: spec }, {})).toEqual(spec);
    expect(containerHealthcheck({}, { Healthcheck: { Test: ['CMD-SHELL', 'pg_isready'], Interval: 2e9 } })).toEqual({
      test: ['CMD-SHELL', 'pg_isready'],
      interval: 2000,
      timeout: 30_000,
      retries: 3,
      start_period: 0,
      start_interval: 5000,
    });
    expect(containerHealthcheck({}, { Healthcheck: { Test: ['NONE'] } })).toBeUndefined();
    expect(containerHealthcheck({}, { Healthcheck: { Test: ['curl', '-f', 'localhost'] } })).toBeUndefined(); // Docker: a broken one, ignored
    expect(containerHealthcheck({}, {})).toBeUndefined();
  });
  it('a service healthcheck disabled (test NONE, from `disable: true`) switches the image one off', () => {
    const disabled = { test: ['NONE'], interval: 30_000, timeout: 30_000, retries: 3, start_period: 0, start_interval: 50 };
    expect(containerHealthcheck({ healthcheck: disabled }, { Healthcheck: { Test: ['CMD-SHELL', 'pg_isready'] } })).toBeUndefined();
  });
  it("fills the fields a service healthcheck leaves out from the image's, as the Docker engine merges them", () => {
    const image = { Healthcheck: { Test: ['CMD', '/bin/probe', 'health'], Interval: 1e9, Retries: 30, StartPeriod: 0 } };
    const base = { interval: 30_000, timeout: 30_000, retries: 3, start_period: 0, start_interval: 50 };
    // `healthcheck: {retries: 5}`: the image's test and interval, the file's retries, the default timeout.
    const partial = { ...base, test: [], retries: 5, fromImage: ['test' as const, 'interval' as const, 'timeout' as const, 'start_period' as const] };
    expect(containerHealthcheck({ healthcheck: partial }, image)).toEqual({ test: ['CMD', '/bin/probe', 'health'], interval: 1000, timeout: 30_000, retries: 5, start_period: 0, start_interval: 50 });
    // `healthcheck: {test: ...}` alone keeps the image's interval and retries.
    const ownTest = { ...base, test: ['CMD-SHELL', 'true'], fromImage: ['interval' as const, 'timeout' as const, 'retries' as const, 'start_period' as const] };
    expect(containerHealthcheck({ healthcheck: ownTest }, image)).toMatchObject({ test: ['CMD-SHELL', 'true'], interval: 1000, retries: 30 });
    // Nothing to inherit: the file's values, and no test at all means no healthcheck.
    expect(containerHealthcheck({ healthcheck: ownTest }, {})).toMatchObject({ test: ['CMD-SHELL', 'true'], interval: 30_000, retries: 3 });
    expect(containerHealthcheck({ healthcheck: partial }, {})).toBeUndefined();
  });
  it('runs CMD as is and CMD-SHELL through sh', () => {
    expect(healthcheckArgv(['CMD', 'pg_isready', '-q'])).toEqual(['pg_isready', '-q']);
    expect(healthcheckArgv(['CMD-SHELL', 'curl -f localhost'])).toEqual(['/bin/sh', '-c', 'curl -f localhost']);
    expect(() => healthcheckArgv(['curl', '-f', 'localhost'])).toThrow('unknown test kind "curl"');
  });
});
