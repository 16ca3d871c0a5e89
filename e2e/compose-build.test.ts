/**
 * Compose's build keys through the built CLI: `stack config --json` reads them, `stack build` honours
 * them on the embedded runtime and on Docker, and what a runtime cannot do is refused with exit 2,
 * the file:line:col of the key, and what to do, before anything is built.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusyboxImage as importDockerBusybox } from '../src/runtime/docker/test-images.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { readTarEntries } from '../src/testing/layer-tar.js';
import { requireCommand, requireOverlay, requireRoot, unmet, type Requirement } from '../src/testing/requirements.js';
import { cliPath, stack } from './cli.js';

const requireDockerd: Requirement = {
  name: 'dockerd',
  check: () => {
    const r = spawnSync('docker', ['info'], { stdio: 'pipe', encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 ? undefined : `docker info fails: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
  },
};

const id = `${process.pid}`;

/** `stack ...args` without blocking this process (a test serves HTTP to the engine meanwhile). */
function stackAsync(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
let dir: string;
const write = (name: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), text);
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-compose-build-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('build keys in stack config', () => {
  it('normalizes every build key: paths resolved, short forms long, sizes in bytes, git URLs kept', () => {
    write(
      'config/compose.yaml',
      [
        'services:',
        '  app:',
        '    build:',
        '      context: .',
        '      dockerfile_inline: |',
        '        FROM busybox',
        '      additional_contexts: ["assets=./assets", "base=docker-image://busybox:1.36", "tool=service:tool"]',
        '      network: none',
        '      extra_hosts: ["db=10.0.0.5", "cache:10.0.0.6", "v6=[::1]"]',
        '      ssh: [default, "deploy=~/.ssh/deploy"]',
        '      cache_from: [app:cache]',
        '      cache_to: ["type=inline"]',
        '      pull: true',
        '      tags: ["app:extra"]',
        '      shm_size: 128m',
        '      ulimits: {nofile: 1024, nproc: {soft: 10, hard: 20}}',
        '      isolation: default',
        '      platforms: [linux/amd64]',
        '      privileged: false',
        '      entitlements: [network.host]',
        '  tool:',
        '    build: https://github.com/example/tool.git#v1:src',
        '',
      ].join('\n'),
    );
    const r = stack(['config', '--json'], { cwd: path.join(dir, 'config'), env: { HOME: '/home/u' } });
    expect(r.code, r.stderr).toBe(0);
    const services = JSON.parse(r.stdout).services;
    const here = path.join(dir, 'config');
    expect(services.app.build).toEqual({
      context: here,
      dockerfile_inline: 'FROM busybox\n',
      additional_contexts: { assets: path.join(here, 'assets'), base: 'docker-image://busybox:1.36', tool: 'service:tool' },
      network: 'none',
      extra_hosts: { db: '10.0.0.5', cache: '10.0.0.6', v6: '::1' },
      ssh: ['default', 'deploy=/home/u/.ssh/deploy'],
      cache_from: ['app:cache'],
      cache_to: ['type=inline'],
      pull: true,
      tags: ['app:extra'],
      shm_size: 128 * 1024 * 1024,
      ulimits: { nofile: { soft: 1024, hard: 1024 }, nproc: { soft: 10, hard: 20 } },
      isolation: 'default',
      platforms: ['linux/amd64'],
      privileged: false,
      entitlements: ['network.host'],
    });
    expect(services.tool.build).toEqual({ context: 'https://github.com/example/tool.git#v1:src', dockerfile: 'Dockerfile' });
  });

  it('a build secret names a top-level secret, or config says so at its line', () => {
    write('secret-missing/compose.yaml', 'services:\n  app:\n    build:\n      context: .\n      secrets: [token]\n');
    const r = stack(['config', '-q'], { cwd: path.join(dir, 'secret-missing') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compose\.yaml:5:17 services\.app\.build\.secrets\[0\]: the secret "token" is not defined in the top-level secrets: section/);
  });
});

describe('build keys a runtime cannot honour are refused before anything is built', () => {
  const refusal = (file: string, runtime: string) => {
    const r = stack(['--runtime', runtime, '-p', `cb-refuse-${id}`, 'up', '-d'], { cwd: path.join(dir, file), env: { HAFEN_ROOT: path.join(dir, 'refuse-state') } });
    expect(r.code, r.stderr).toBe(2);
    return r.stderr;
  };

  it('embedded: a git URL context, with what to do', () => {
    write('git/compose.yaml', 'services:\n  tool:\n    build:\n      context: git@github.com:example/tool.git\n');
    expect(refusal('git', 'embedded')).toContain(
      'compose.yaml:4:7 services.tool.build.context: the build context "git@github.com:example/tool.git" is a URL, which the embedded runtime cannot fetch (hafen has no git client); clone it (git clone URL DIR) and set build.context to that folder, or use --runtime docker (the engine clones it)',
    );
    expect(fs.existsSync(path.join(dir, 'refuse-state', 'projects', `cb-refuse-${id}`))).toBe(false);
  });

  it('embedded: a named build network, shm_size, privileged', () => {
    write('embedded-no/compose.yaml', 'services:\n  app:\n    build:\n      context: .\n      ulimits: {nofile: 10}\n      network: backend\n      shm_size: 1g\n      privileged: true\n');
    const err = refusal('embedded-no', 'embedded');
    expect(err).toContain('compose.yaml:5:7 services.app.build.ulimits: the embedded builder does not set resource limits of RUN steps;');
    expect(err).toContain('compose.yaml:6:7 services.app.build.network: RUN steps of the embedded builder run on the host\'s network or none, not on "backend"; use network: host, none or default, or use --runtime docker');
    expect(err).toContain('compose.yaml:7:7 services.app.build.shm_size: the embedded builder does not size /dev/shm of RUN steps;');
    expect(err).toContain('compose.yaml:8:7 services.app.build.privileged: privileged builds are not supported;');
  });

  it.skipIf(unmet(requireDockerd))('docker: named contexts and ssh need BuildKit', () => {
    write('docker-no/compose.yaml', 'services:\n  app:\n    build:\n      context: .\n      additional_contexts: {assets: ./assets}\n      ssh: [default]\n');
    const err = refusal('docker-no', 'docker');
    expect(err).toContain(
      "compose.yaml:5:7 services.app.build.additional_contexts: named build contexts need BuildKit, which the Docker runtime's builder (the engine's classic builder) does not have; remove it, or build with the embedded runtime (--runtime embedded)",
    );
    expect(err).toContain('compose.yaml:6:7 services.app.build.ssh: SSH forwarding (RUN --mount=type=ssh) needs BuildKit');
  });
});

/** A Compose file for a build of `FROM base` from inline text, with extra hosts, cache_from and an extra tag. */
function inlineBuildFile(image: string, base: string, extra: string[] = []): string {
  return [
    'services:',
    '  app:',
    `    image: ${image}`,
    '    build:',
    '      context: .',
    '      dockerfile_inline: |',
    `        FROM ${base}`,
    '        COPY hello.txt /hello.txt',
    '        RUN cat /etc/hosts > /hosts-seen',
    '      extra_hosts: {db.internal: 10.1.2.3}',
    '      cache_from: [nowhere/cache:latest]',
    `      tags: ["${image}-extra"]`,
    ...extra,
    '',
  ].join('\n');
}

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox')))('stack build on the embedded runtime', () => {
  const base = `hafen-e2e-${id}/busybox:latest`;
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = path.join(dir, 'embedded-state');
    env = { HAFEN_ROOT: root };
    await importBusyboxImage(openStore(root), base);
  });

  it('builds dockerfile_inline with extra_hosts, a named folder context, cache_from accepted, extra tags', async () => {
    write('embedded/hello.txt', 'hello\n');
    write('embedded/assets/logo.txt', 'logo\n');
    const file = inlineBuildFile('cb-app:1', base, ['      additional_contexts: {assets: ./assets}']).replace(
      '        RUN cat /etc/hosts > /hosts-seen',
      '        RUN cat /etc/hosts > /hosts-seen\n        COPY --from=assets logo.txt /logo.txt',
    );
    write('embedded/compose.yaml', file);
    const r = stack(['build'], { cwd: path.join(dir, 'embedded'), env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('COPY --from=assets logo.txt /logo.txt');
    const images = stack(['image', 'ls', '-q'], { env }).stdout.split('\n');
    expect(images).toEqual(expect.arrayContaining(['cb-app:1', 'cb-app:1-extra']));
    const store = openStore(root);
    const image = store.images.get('cb-app:1')!;
    expect(store.images.resolve('cb-app:1-extra')).toBe(image.manifestDigest);
    const files = new Map<string, string>();
    for (const layer of image.manifest.layers) {
      for (const e of await readTarEntries(store.blobs.open(layer.digest))) files.set(e.header.name, e.body.toString());
    }
    expect(files.get('hello.txt')).toBe('hello\n');
    expect(files.get('logo.txt')).toBe('logo\n');
    expect(files.get('hosts-seen')).toContain('10.1.2.3\tdb.internal\n');
  });

  it('builds a service: context first, and FROM it takes that image', async () => {
    write(
      'embedded-service/compose.yaml',
      [
        'services:',
        '  app:',
        '    image: cb-app-on-base:1',
        '    build:',
        '      context: .',
        '      additional_contexts: {base: "service:base"}',
        '      dockerfile_inline: |',
        '        FROM base',
        '        RUN cat /base.txt > /app.txt',
        '  base:',
        '    image: cb-base:1',
        '    build:',
        '      context: .',
        '      dockerfile_inline: |',
        `        FROM ${base}`,
        '        RUN echo from base > /base.txt',
        '',
      ].join('\n'),
    );
    const r = stack(['build'], { cwd: path.join(dir, 'embedded-service'), env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.indexOf('Building base')).toBeLessThan(r.stderr.indexOf('Building app'));
    const store = openStore(root);
    const image = store.images.get('cb-app-on-base:1')!;
    const last = await readTarEntries(store.blobs.open(image.manifest.layers.at(-1)!.digest));
    expect(last.find((e) => e.header.name === 'app.txt')?.body.toString()).toBe('from base\n');
  });

  it('a RUN in a build with network: none sees loopback only', () => {
    write('embedded-none/compose.yaml', `services:\n  app:\n    image: cb-none:1\n    build:\n      context: .\n      network: none\n      dockerfile_inline: |\n        FROM ${base}\n        RUN test "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')" = lo\n`);
    const r = stack(['build'], { cwd: path.join(dir, 'embedded-none'), env });
    expect(r.code, r.stderr).toBe(0);
    // The same RUN on the host's network fails: it sees more than loopback. (The network is not part
    // of the cache key, as in Docker, so the step must be run again.)
    write('embedded-none/compose.yaml', fs.readFileSync(path.join(dir, 'embedded-none/compose.yaml'), 'utf8').replace('network: none', 'network: host'));
    const host = stack(['build', '--no-cache'], { cwd: path.join(dir, 'embedded-none'), env });
    expect(host.code).not.toBe(0);
    expect(host.stderr).toMatch(/Dockerfile:2/);
  });
});

describe.skipIf(unmet(requireDockerd, requireCommand('busybox')))('stack build on Docker', () => {
  const image = `hafen-e2e-${id}/cb-app:1`;
  const made = [image, `${image}-extra`];
  const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' });
  let base: string;

  beforeAll(async () => {
    const Docker = (await import('dockerode')).default;
    base = await importDockerBusybox(new Docker());
  });
  afterAll(() => {
    for (const tag of made) docker('rmi', '-f', tag);
  });

  it.skipIf(unmet(requireCommand('git')))('builds from a git URL context, which the engine clones (here from a repository served on 127.0.0.1)', async () => {
    // A repository served over git's "dumb" HTTP protocol: plain files, as any static web server gives them.
    const work = path.join(dir, 'git-work');
    write('git-work/sub/Dockerfile', `FROM ${base}\nCOPY from-git.txt /from-git.txt\n`);
    write('git-work/sub/from-git.txt', 'cloned\n');
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    git(work, 'init', '-q', '-b', 'release');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'x');
    const bare = path.join(dir, 'served', 'repo.git');
    git(dir, 'clone', '-q', '--bare', work, bare);
    git(bare, 'update-server-info');
    const server = http.createServer((req, res) => {
      const file = path.join(path.dirname(bare), decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (!file.startsWith(path.dirname(bare)) || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      made.push(`${image}-git`);
      write('docker-git/compose.yaml', `services:\n  app:\n    image: ${image}-git\n    build: http://127.0.0.1:${port}/repo.git#release:sub\n`);
      const r = await stackAsync(['--runtime', 'docker', 'build'], path.join(dir, 'docker-git'));
      expect(r.code, r.stderr).toBe(0);
      expect(execFileSync('docker', ['run', '--rm', `${image}-git`, 'cat', '/from-git.txt'], { encoding: 'utf8' })).toBe('cloned\n');
    } finally {
      server.close();
    }
  });

  it('builds dockerfile_inline with extra_hosts, network none, shm_size, ulimits, cache_from and extra tags through the engine', () => {
    write('docker/hello.txt', 'hello\n');
    const file = inlineBuildFile(image, base, ['      network: none', '      shm_size: 96m', '      ulimits: {nofile: {soft: 1000, hard: 1000}}']).replace(
      '        RUN cat /etc/hosts > /hosts-seen',
      '        RUN cat /etc/hosts > /hosts-seen && ulimit -n > /nofile && df -k /dev/shm | tail -n 1 > /shm',
    );
    write('docker/compose.yaml', file);
    const r = stack(['--runtime', 'docker', 'build'], { cwd: path.join(dir, 'docker') });
    expect(r.code, r.stderr).toBe(0);
    const limits = execFileSync('docker', ['run', '--rm', image, 'cat', '/nofile', '/shm'], { encoding: 'utf8' }).split('\n');
    expect(limits[0]).toBe('1000');
    expect(limits[1]).toMatch(/^shm\s+98304\s/);
    const hosts = execFileSync('docker', ['run', '--rm', '--network', 'none', `${image}-extra`, 'cat', '/hosts-seen', '/hello.txt'], { encoding: 'utf8' });
    expect(hosts).toContain('10.1.2.3\tdb.internal');
    expect(hosts).toContain('hello');
    expect(docker('image', 'inspect', '-f', '{{.Id}}', image).stdout).toBe(docker('image', 'inspect', '-f', '{{.Id}}', `${image}-extra`).stdout);
  });
});
