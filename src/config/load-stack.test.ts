/** loadStack end to end on small files: finding the file, names, environment, and the long forms it produces. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ConfigNotFoundError, UsageError } from '../errors.js';
import { findStackFile, loadStack, type LoadOptions } from './index.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temp folder holding these files (paths relative to it). */
function folder(files: Record<string, string>, name = 'proj'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-load-'));
  made.push(root);
  const dir = path.join(root, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const load = (yaml: string, opts: LoadOptions = {}, files: Record<string, string> = {}) =>
  loadStack({ cwd: folder({ 'stack.yaml': yaml, ...files }), env: {}, ...opts });

/** Every line of the error a file gives. */
async function errors(yaml: string, opts: LoadOptions = {}, files: Record<string, string> = {}): Promise<string[]> {
  const err = await load(yaml, opts, files).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message.split('\n');
}

describe('finding the stack file', () => {
  it('tries stack.yaml, stack.yml, compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in order', async () => {
    const dir = folder({ 'docker-compose.yaml': '', 'docker-compose.yml': '', 'compose.yml': '' });
    expect(path.basename(await findStackFile(dir))).toBe('compose.yml');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), '');
    expect(path.basename(await findStackFile(dir))).toBe('compose.yaml');
    fs.writeFileSync(path.join(dir, 'stack.yml'), '');
    expect(path.basename(await findStackFile(dir))).toBe('stack.yml');
    fs.mkdirSync(path.join(dir, 'stack.yaml')); // a folder of that name is not a stack file
    expect(path.basename(await findStackFile(dir))).toBe('stack.yml');
  });

  it('says what it looked for when there is none', async () => {
    const dir = folder({});
    const err = await findStackFile(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigNotFoundError);
    expect((err as Error).message).toBe(
      `no stack file in ${dir} or a folder above it: looked for stack.yaml, stack.yml, compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml (use -f FILE to name one)`,
    );
  });

  it('names the file in messages as the user gave it', async () => {
    const dir = folder({ 'deploy/my-stack.yaml': 'services:\n  api: {imgae: host}\n' });
    const err = await loadStack({ cwd: dir, file: 'deploy/my-stack.yaml', env: {} }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('deploy/my-stack.yaml:2:9 services.api.imgae: unknown key "imgae" (did you mean "image"?)');
    const missing = await loadStack({ cwd: dir, file: 'nope.yaml', env: {} }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigNotFoundError);
    expect((missing as Error).message).toBe('nope.yaml: no such file');
  });

  it('gives the model absolute file and dir', async () => {
    const dir = folder({ 'sub/stack.yaml': 'services: {api: {image: host}}\n' });
    const stack = await loadStack({ cwd: dir, file: 'sub/stack.yaml', env: {} });
    expect(stack.file).toBe(path.join(dir, 'sub/stack.yaml'));
    expect(stack.dir).toBe(path.join(dir, 'sub'));
  });

  it('refuses a folder and a non-UTF-8 file', async () => {
    const dir = folder({ 'bin.yaml': '' });
    fs.writeFileSync(path.join(dir, 'bin.yaml'), Buffer.from([0x73, 0xff, 0xfe, 0x0a]));
    await expect(loadStack({ cwd: dir, file: '.', env: {} })).rejects.toThrow('.:1:1 the file is a folder, not a file');
    await expect(loadStack({ cwd: dir, file: 'bin.yaml', env: {} })).rejects.toThrow('bin.yaml:1:1 the file is not UTF-8 text');
  });
});

describe('project name', () => {
  const file = 'services: {api: {image: host}}\n';

  it('is -p, else name:, else the folder name made valid', async () => {
    expect((await load(`name: shop\n${file}`, { project: 'other' })).name).toBe('other');
    expect((await load(`name: shop\n${file}`)).name).toBe('shop');
    const dir = folder({ 'stack.yaml': file }, 'My_App.v2');
    expect((await loadStack({ cwd: dir, env: {} })).name).toBe('my_appv2');
    const leading = folder({ 'stack.yaml': file }, '--Web');
    expect((await loadStack({ cwd: leading, env: {} })).name).toBe('web');
  });

  it('refuses an invalid -p and a folder name with nothing usable', async () => {
    await expect(load(file, { project: 'My Shop' })).rejects.toThrow(UsageError);
    await expect(load(file, { project: 'My Shop' })).rejects.toThrow('-p "My Shop": not a valid project name; use lowercase letters, digits, "_" and "-", starting with a letter or digit');
    const dir = folder({ 'stack.yaml': file }, '__');
    await expect(loadStack({ cwd: dir, env: {} })).rejects.toThrow('stack.yaml:1:1 cannot make a project name from the folder name "__"; set name: in the file or use -p NAME');
  });
});

describe('environment and interpolation', () => {
  it('interpolates from .env, with the process environment winning', async () => {
    const stack = await load('services:\n  api:\n    image: "node:${TAG}"\n    environment: {WHO: $WHO}\n', { env: { WHO: 'env' } }, { '.env': 'TAG=20\nWHO=dotenv\n' });
    expect(stack.services.api!.image).toBe('node:20');
    expect(stack.services.api!.environment).toEqual({ WHO: 'env' });
  });

  it('reports a missing required variable at its value, and every one of them', async () => {
    expect(await errors('services:\n  api:\n    image: ${IMAGE:?pick one}\n    user: ${WHO?}\n')).toEqual([
      'stack.yaml:3:12 services.api.image: required variable IMAGE is missing a value: pick one',
      'stack.yaml:4:11 services.api.user: required variable WHO is missing a value',
    ]);
  });

  it('reads a substituted number as a number', async () => {
    const quoted = await errors('services:\n  api:\n    image: host\n    replicas: "${N}"\n', { env: { N: '3' } });
    expect(quoted).toEqual(['stack.yaml:4:15 services.api.replicas: expected a whole number, got a string ("3")']); // quoted stays a string
    const ok = await load('services:\n  api:\n    image: host\n    replicas: ${N}\n', { env: { N: '3' } });
    expect(ok.services.api!.replicas).toBe(3);
  });

  it('reads env_file into environment: later files win, environment wins over all', async () => {
    const stack = await load(
      'services:\n  api:\n    image: host\n    env_file: [a.env, {path: sub/b.env}, {path: none.env, required: false}]\n    environment: [C=own]\n',
      { env: { OUTER: 'o' } },
      { 'a.env': 'A=1\nB=from-a\nC=from-a\n', 'sub/b.env': 'B=from-b\nD=${OUTER}\n' },
    );
    const api = stack.services.api!;
    expect(api.environment).toEqual({ A: '1', B: 'from-b', C: 'own', D: 'o' });
    expect(api.env_file).toEqual([path.join(stack.dir, 'a.env'), path.join(stack.dir, 'sub/b.env')]);
  });

  it('reports a missing env_file at its entry, and a bad line in one at its own place', async () => {
    expect(await errors('services:\n  api:\n    image: host\n    env_file: gone.env\n')).toEqual(['stack.yaml:4:15 services.api.env_file: env file "gone.env" does not exist']);
    expect(await errors('services:\n  api:\n    image: host\n    env_file: [app.env]\n', {}, { 'app.env': 'OK=1\nnot ok\n' })).toEqual([
      'app.env:2:5 expected "=" after the variable name (a line is NAME=VALUE); the line is not shown',
    ]);
  });

  it('gives environment entries without a value the host\'s value, or leaves them out', async () => {
    const stack = await load('services:\n  api:\n    image: host\n    environment: [A, B, C=, D=x=y]\n  b:\n    image: host\n    environment: {A: null, N: 5, T: true}\n', { env: { A: 'host-a' } });
    expect(stack.services.api!.environment).toEqual({ A: 'host-a', C: '', D: 'x=y' });
    expect(stack.services.b!.environment).toEqual({ A: 'host-a', N: '5', T: 'true' });
  });
});

describe('long forms', () => {
  it('fills in every default of a minimal service', async () => {
    const stack = await load('version: "3.9"\nservices:\n  api:\n    image: host\n');
    expect(stack.services.api).toEqual({
      name: 'api',
      image: 'host',
      pull_policy: 'missing',
      environment: {},
      env_file: [],
      labels: {},
      volumes: [],
      networks: { default: { aliases: [] } },
      ports: [],
      expose: [],
      links: [],
      extra_hosts: {},
      resources: {},
      restart: { policy: 'no' },
      stop_grace_period: 10_000,
      depends_on: {},
      volumes_from: [],
      replicas: 1,
      profiles: [],
      tty: false,
      stdin_open: false,
      init: false,
      read_only: false,
      privileged: false,
      cap_add: [],
      cap_drop: [],
      secrets: [],
      configs: [],
      annotations: {},
      reservations: {},
      tmpfs: [],
      dns: [],
      dns_search: [],
      dns_opt: [],
      extensions: {},
    });
    expect(stack.networks).toEqual({
      default: { name: 'proj_default', external: false, internal: false, labels: {}, ipam: [], driver_opts: {}, attachable: false, enable_ipv6: false },
    });
    expect(stack).toMatchObject({ volumes: {}, ships: {}, extensions: {} });
  });

  it('expands commands, builds, depends_on, networks, links and volumes_from', async () => {
    const stack = await load(
      [
        'networks: {back: {}}',
        'services:',
        '  db: {image: host}',
        '  api:',
        '    build: ./api',
        '    command: node api.js --port 80',
        '    entrypoint: [tini, --]',
        '    depends_on: [db]',
        '    networks: [back]',
        '    links: ["db:database", db]',
        '    volumes_from: ["db:ro"]',
        '    tmpfs: /run',
        '    expose: [3000, "4000-4001/udp"]',
        '    extra_hosts: ["gw:host-gateway", "v6=[::1]"]',
        '    network_mode: bridge',
        '    stop_signal: INT',
        '    user: 1000',
      ].join('\n'),
    );
    const api = stack.services.api!;
    expect(api.build).toEqual({ context: path.join(stack.dir, 'api'), dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false });
    expect(api.image).toBeUndefined();
    expect(api.command).toEqual(['node', 'api.js', '--port', '80']);
    expect(api.entrypoint).toEqual(['tini', '--']);
    expect(api.depends_on).toEqual({ db: { condition: 'service_started', restart: false, required: true } });
    expect(api.networks).toEqual({ back: { aliases: [] } });
    expect(api.links).toEqual([{ service: 'db', alias: 'database' }, { service: 'db', alias: 'db' }]);
    expect(api.volumes_from).toEqual([{ service: 'db', read_only: true }]);
    expect(api.tmpfs).toEqual(['/run']);
    expect(api.expose).toEqual([3000, 4000, 4001]);
    expect(api.extra_hosts).toEqual({ gw: 'host-gateway', v6: '::1' });
    expect(api.stop_signal).toBe('SIGINT');
    expect(api.user).toBe('1000');
    expect(stack.services.db!.networks).toEqual({ default: { aliases: [] } });
    expect(Object.keys(stack.networks)).toEqual(['back', 'default']); // default exists because db uses it
    // Long-form paths that were written as list items still locate.
    expect(stack.source.locate('services.api.depends_on.db')).toMatchObject({ line: 8, col: 18 });
    expect(stack.source.locate('services.api.networks.back')).toMatchObject({ line: 9, col: 16 });
  });

  it('fills in healthcheck and ready defaults', async () => {
    const stack = await load(
      [
        'services:',
        '  a: {image: host, healthcheck: {test: "pg_isready"}, ready: {tcp: 5432}}',
        '  b: {image: host, healthcheck: {test: [CMD, "true"], interval: 1s, retries: 0}, ready: {http: {port: 80, path: /up}}}',
        '  c: {image: host, healthcheck: {disable: true}, ready: {log: "^ready$", interval: 2s}}',
        '  d: {image: host, healthcheck: {test: [NONE]}, ready: {exec: "test -f /ok"}}',
        '  e: {image: app, healthcheck: {interval: 1s, retries: 5}}',
      ].join('\n'),
    );
    const s = stack.services;
    // What the file leaves out, an image's HEALTHCHECK supplies (as the Docker engine merges them); these defaults stand otherwise.
    expect(s.a!.healthcheck).toEqual({
      test: ['CMD-SHELL', 'pg_isready'],
      interval: 30_000,
      timeout: 30_000,
      retries: 3,
      start_period: 0,
      start_interval: 50,
      fromImage: ['interval', 'timeout', 'retries', 'start_period'],
    });
    expect(s.a!.ready).toEqual({ kind: 'tcp', port: 5432, start_interval: 50, interval: 1000, timeout: 1000 });
    expect(s.b!.healthcheck).toMatchObject({ test: ['CMD', 'true'], interval: 1000, retries: 0, fromImage: ['timeout', 'start_period'] });
    expect(s.e!.healthcheck).toEqual({ test: [], interval: 1000, timeout: 30_000, retries: 5, start_period: 0, start_interval: 50, fromImage: ['test', 'timeout', 'start_period'] });
    expect(s.b!.ready).toMatchObject({ kind: 'http', port: 80, path: '/up', status: 200 });
    expect(s.c!.healthcheck).toMatchObject({ test: ['NONE'] }); // switches the image's HEALTHCHECK off
    expect(s.c!.ready).toMatchObject({ kind: 'log', pattern: '^ready$', interval: 2000 });
    expect(s.d!.healthcheck).toMatchObject({ test: ['NONE'] });
    expect(s.d!.ready).toMatchObject({ kind: 'exec', command: ['test', '-f', '/ok'] });
  });

  it('maps Compose\'s resource keys, replicas and restart policies onto one form', async () => {
    const stack = await load(
      [
        'services:',
        '  a: {image: host, resources: {memory: 1g}, deploy: {resources: {limits: {memory: 2g, cpus: "0.25", pids: 10}}}, mem_limit: 3g}',
        '  b: {image: host, mem_limit: 64m, cpus: 1.5, pids_limit: 20, deploy: {replicas: 2, restart_policy: {condition: on-failure, max_attempts: 4}}}',
        '  c: {image: host, scale: 3, restart: unless-stopped, deploy: {restart_policy: {condition: any}}}',
        '  d: {image: host, deploy: {restart_policy: {condition: any}}}',
      ].join('\n'),
    );
    const s = stack.services;
    expect(s.a!.resources).toEqual({ memory: 1024 ** 3, cpus: 0.25, pids: 10 });
    expect(s.b!.resources).toEqual({ memory: 64 * 1024 ** 2, cpus: 1.5, pids: 20 });
    expect(s.b!.replicas).toBe(2);
    expect(s.b!.restart).toEqual({ policy: 'on-failure', max_retries: 4 });
    expect(s.c!.replicas).toBe(3);
    expect(s.c!.restart).toEqual({ policy: 'unless-stopped' });
    expect(s.d!.restart).toEqual({ policy: 'always' });
  });

  it('keeps x- keys as written, at the top and per service', async () => {
    const stack = await load('x-top: {a: 1}\nservices:\n  api:\n    image: host\n    x-note: [1, 2]\n');
    expect(stack.extensions).toEqual({ 'x-top': { a: 1 } });
    expect(stack.services.api!.extensions).toEqual({ 'x-note': [1, 2] });
  });
});

describe('checks across the stack', () => {
  it('reports every problem in one pass, first by position first', async () => {
    expect(
      await errors(
        [
          'services:',
          '  api:',
          '    image: host',
          '    depends_on: [dbb, cache]',
          '    ports: ["8080:80", "99999"]',
          '  cache:',
          '    build: .',
          '    stop_grace_period: 5m',
          '    volumes: ["data:/data"]',
          '  worker:',
          '    command: [run]',
        ].join('\n'),
      ),
    ).toEqual(['stack.yaml:5:24 services.api.ports[1]: container port 99999 is out of range 1-65535']);
    expect(
      await errors(
        [
          'services:',
          '  api:',
          '    image: host',
          '    depends_on: [dbb, cache]',
          '  cache:',
          '    build: .',
          '    volumes: ["data:/data"]',
          '  worker:',
          '    command: [run]',
        ].join('\n'),
      ),
    ).toEqual([
      'stack.yaml:4:18 services.api.depends_on.dbb: no service named "dbb"',
      'stack.yaml:7:15 services.cache.volumes[0]: no volume named "data" (declare it under the top-level volumes:, or write a host path as ./data)',
      'stack.yaml:8:3 services.worker: needs an image or a build',
    ]);
  });

  it('needs a build for pull_policy build', async () => {
    expect(await errors('services:\n  api:\n    image: host\n    pull_policy: build\n')).toEqual(['stack.yaml:4:18 services.api.pull_policy: pull_policy "build" needs a build: section']);
  });

  it('skips an unknown dependency that is not required', async () => {
    await expect(load('services:\n  api: {image: host, depends_on: {gone: {required: false}}}\n')).resolves.toBeDefined();
  });

  it('only lets host ports clash between services that can run together (profiles)', async () => {
    const file = 'services:\n  a: {image: host, ports: ["80:80"], profiles: [x]}\n  b: {image: host, ports: ["80:81"], profiles: [y]}\n';
    await expect(load(file)).resolves.toBeDefined();
    await expect(load(file, { profiles: ['x'] })).resolves.toBeDefined();
    await expect(load(file, { profiles: ['x', 'y'] })).rejects.toThrow('stack.yaml:3:28 services.b.ports[0]: host port 127.0.0.1:80/tcp is already published by service "a" (line 2)');
  });

  it('lets the same port on different addresses or protocols be, and names a port published twice by one service', async () => {
    await expect(load('services:\n  a: {image: host, ports: ["127.0.0.1:80:80", "127.0.0.2:80:80", "80:80/udp"]}\n')).resolves.toBeDefined();
    expect(await errors('services:\n  a: {image: host, ports: ["80:80", "[::]:80:81"]}\n')).toEqual([
      'stack.yaml:2:37 services.a.ports[1]: host port [::]:80/tcp clashes with 127.0.0.1:80/tcp published by this service (line 2)',
    ]);
  });

  it('refuses conflicting replica counts and unsupported network modes', async () => {
    expect(await errors('services:\n  a: {image: host, replicas: 2, deploy: {replicas: 3}, network_mode: "service:b"}\n')).toEqual([
      'stack.yaml:2:52 services.a.deploy.replicas: deploy.replicas: 3 disagrees with replicas: 2',
    ]);
    expect(await errors('services:\n  a: {image: host, network_mode: "service:b"}\n  c: {image: host, network_mode: "service:c"}\n')).toEqual([
      'stack.yaml:2:34 services.a.network_mode: no service named "b" (did you mean "a"?)',
      'stack.yaml:3:34 services.c.network_mode: a service cannot share its own network namespace; name another service',
    ]);
  });
});
