/**
 * What a stack reads from and makes on the host, through the built CLI: an image archive that is a
 * device or a FIFO is refused before anything starts; `stack up` pulling from a registry that sends
 * a layer slowly stops at SIGTERM and leaves no partial blob, layer or work file; a long-syntax bind
 * with a missing source is refused (`config` takes it), the short syntax and `create_host_path`
 * make theirs and say so, on the embedded runtime and on a real dockerd. `down` keeps those folders,
 * as Compose does. Nothing of a project is left after each test.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage } from '../src/runtime/docker/test-images.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot, type CliResult } from './cli.js';
import { dockerLeaks, runtimeNamed } from './conformance/runtimes.js';
import { stackLeftovers } from './stack-leftovers.js';

const POOL = '10.249.0.0/16:24';

/** One runtime as these tests drive it: how to run the CLI on it and what counts as left over. */
interface Target {
  runtime: 'embedded' | 'docker';
  image: () => string;
  leftovers: (project: string) => string[];
}

let dir: string;
const root = (): string => path.join(dir, 'root');

/** `stack --runtime R -f FILE -p PROJECT ...args` in the test folder. */
function run(runtime: string, file: string, project: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, '--runtime', runtime, '-f', file, '-p', project, '--progress', 'plain', ...args], {
    cwd: repoRoot,
    env: { ...process.env, HAFEN_ROOT: root(), HAFEN_SUBNET_POOL: POOL, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh folder holding `stack.yaml` with `body`; returns the file. */
function stackFile(project: string, body: string[]): string {
  const folder = fs.mkdtempSync(path.join(dir, `${project}-`));
  const file = path.join(folder, 'stack.yaml');
  fs.writeFileSync(file, [`name: ${project}`, ...body, ''].join('\n'));
  return file;
}

const newProject = (): string => `hin${randomBytes(3).toString('hex')}`;

const embeddedReady = !unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter'), requireCommand('busybox'));
const dockerReady = !unmet(...runtimeNamed('docker').requirements);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-host-inputs-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!embeddedReady)('archives that never end', () => {
  it('refuses /dev/zero and a FIFO as docker-archive before anything starts, naming the place and the path', () => {
    const project = newProject();
    const file = stackFile(project, ['services:', '  zero:', '    image: docker-archive:/dev/zero', '  pipe:', '    image: docker-archive:./pipe.tar']);
    const fifo = path.join(path.dirname(file), 'pipe.tar');
    execFileSync('mkfifo', [fifo]);
    expect(run('embedded', file, project, ['config']).code).toBe(0);
    const started = Date.now();
    const up = run('embedded', file, project, ['up', '-d']);
    expect(up.code, up.stderr).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(up.stderr).toContain(`${file}:4:5 services.zero.image: /dev/zero is a character device; a docker-archive is a regular tar file`);
    expect(up.stderr).toContain(`${file}:6:5 services.pipe.image: ${fifo} is a FIFO (named pipe)`);
    // Refused before the supervisor or anything else was started.
    expect(stackLeftovers(project, root())).toEqual([]);
  });

  it.skipIf(!dockerReady)('refuses them on Docker too, before the engine is asked anything', () => {
    const project = newProject();
    const file = stackFile(project, ['services:', '  zero:', '    image: docker-archive:/dev/zero']);
    const up = run('docker', file, project, ['up', '-d']);
    expect(up.code, up.stderr).toBe(2);
    expect(up.stderr).toContain(`${file}:4:5 services.zero.image: /dev/zero is a character device`);
    expect(dockerLeaks(project)).toEqual([]);
  });
});

/** A registry on loopback whose one image has a layer it sends a few bytes at a time, forever. */
async function slowRegistry(): Promise<{ host: string; layer: string; stop: () => Promise<void> }> {
  const put = (bytes: Buffer) => ({ digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length });
  const layerDigest = `sha256:${randomBytes(32).toString('hex')}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layerDigest] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: 64 << 20 }],
    }),
  );
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (url.endsWith('/manifests/1')) return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    if (url.endsWith(`/blobs/${put(config).digest}`)) return void res.writeHead(200).end(config);
    if (url.endsWith(`/blobs/${layerDigest}`)) {
      res.writeHead(200, { 'content-length': String(64 << 20) });
      res.write(Buffer.alloc(64 * 1024, 1));
      const timer = setInterval(() => res.write(Buffer.alloc(1024, 1)), 100);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    layer: layerDigest,
    stop: async () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** What pulls the slow image: `up` of a service using it, or `build` of a service whose Dockerfile starts FROM it (`pull: true`). */
const pullers: { command: string[]; body: (image: string, folder: string) => string[] }[] = [
  { command: ['up', '-d'], body: (image) => ['services:', '  app:', `    image: ${image}`] },
  {
    command: ['build'],
    body: (image, folder) => {
      fs.writeFileSync(path.join(folder, 'Dockerfile'), `FROM ${image}\nRUN true\n`);
      return ['services:', '  app:', '    build:', '      context: .', '      pull: true'];
    },
  },
];

describe.skipIf(!embeddedReady)('an interrupted pull', () => {
  it.each(pullers)('stack $command.0 stops at SIGTERM while a layer trickles in, and leaves no partial blob, layer or work file', async ({ command, body }) => {
    const registry = await slowRegistry();
    const project = newProject();
    const file = stackFile(project, []);
    fs.writeFileSync(file, [`name: ${project}`, ...body(`${registry.host}/slow/app:1`, path.dirname(file)), ''].join('\n'));
    const blobs = path.join(root(), 'images', 'blobs', 'sha256');
    const child = spawn(process.execPath, [cliPath, '--runtime', 'embedded', '-f', file, '-p', project, '--progress', 'plain', ...command], {
      cwd: repoRoot,
      env: { ...process.env, HAFEN_ROOT: root(), HAFEN_SUBNET_POOL: POOL, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      // Wait until the layer is being written into the store (a half-written download is there).
      const deadline = Date.now() + 60_000;
      const partial = (): string[] => (fs.existsSync(blobs) ? fs.readdirSync(blobs).filter((n) => n.startsWith('.tmp-')) : []);
      while (partial().length === 0) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the download never started: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGTERM');
      // It exits by itself (a second signal would force it): the read loop saw the abort.
      const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))]);
      expect(code, out).not.toBe('still running');
      expect(code, out).toBe(130);
      expect(out).toContain('Interrupted');
      expect(partial()).toEqual([]);
      expect(fs.readdirSync(blobs).filter((n) => n === registry.layer.slice('sha256:'.length))).toEqual([]);
      expect(fs.readdirSync(path.join(root(), 'images', 'layers'))).toEqual([]);
      expect(fs.readdirSync(path.join(root(), 'images', 'tmp'))).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await registry.stop();
      run('embedded', file, project, ['down', '-v']);
    }
    expect(stackLeftovers(project, root())).toEqual([]);
  }, 120_000);
});

const targets: (Target & { ready: boolean })[] = [
  { runtime: 'embedded', ready: embeddedReady, image: () => 'host', leftovers: (p) => stackLeftovers(p, root()) },
  { runtime: 'docker', ready: dockerReady, image: () => dockerImage, leftovers: (p) => dockerLeaks(p) },
];
let dockerImage = '';

describe.each(targets)('bind sources on the $runtime runtime', (target) => {
  beforeAll(async () => {
    if (target.runtime === 'docker' && target.ready) {
      const runtime = new DockerRuntime();
      dockerImage = await importBusyboxImage(runtime.docker);
      await runtime.close();
    }
  }, 120_000);

  it.skipIf(!target.ready)('refuses a missing long-syntax bind source at up (config takes it), touching nothing', () => {
    const project = newProject();
    const file = stackFile(project, ['services:', '  app:', `    image: ${target.image()}`, '    command: ["true"]', '    volumes:', '      - type: bind', '        source: ./missing', '        target: /data']);
    try {
      expect(run(target.runtime, file, project, ['config']).code).toBe(0);
      const up = run(target.runtime, file, project, ['up', '-d']);
      expect(up.code, up.stderr).toBe(2);
      expect(up.stderr).toContain(
        `${file}:8:9 services.app.volumes[0].source: bind source ./missing does not exist; create it, or add \`bind: {create_host_path: true}\` to let up create it`,
      );
      expect(fs.existsSync(path.join(path.dirname(file), 'missing'))).toBe(false);
      expect(target.leftovers(project)).toEqual([]);
    } finally {
      run(target.runtime, file, project, ['down', '-v']);
    }
  });

  it.skipIf(!target.ready)('makes the short-syntax and create_host_path sources before the container, says so; down keeps them', async () => {
    const project = newProject();
    const file = stackFile(project, [
      'services:',
      '  app:',
      `    image: ${target.image()}`,
      `    command: ["sh", "-c", "echo short > /short/seen; echo long > /long/seen; trap 'exit 0' TERM; sleep 600 & wait"]`,
      '    volumes:',
      '      - ./short/deep:/short',
      '      - {type: bind, source: ./long, target: /long, bind: {create_host_path: true}}',
    ]);
    const folder = path.dirname(file);
    try {
      const up = run(target.runtime, file, project, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toContain('created ./short/deep for services.app.volumes[0]\ncreated ./long for services.app.volumes[1]\n');
      // The container wrote through both mounts: they are the folders hafen made.
      const deadline = Date.now() + 20_000;
      while (!(fs.existsSync(path.join(folder, 'short/deep/seen')) && fs.existsSync(path.join(folder, 'long/seen')))) {
        if (Date.now() > deadline) throw new Error(`the container never wrote its files: ${run(target.runtime, file, project, ['logs']).stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(fs.readFileSync(path.join(folder, 'short/deep/seen'), 'utf8')).toBe('short\n');
      // Recorded in the project's state, for down to name.
      const record = path.join(root(), 'projects', project, 'created-host-paths.json');
      expect(JSON.parse(fs.readFileSync(record, 'utf8'))).toEqual([
        { path: path.join(folder, 'short/deep'), key: 'services.app.volumes[0]' },
        { path: path.join(folder, 'long'), key: 'services.app.volumes[1]' },
      ]);
      // A second up makes nothing new and says nothing of it.
      const again = run(target.runtime, file, project, ['up', '-d']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toContain('created ');
      const down = run(target.runtime, file, project, ['down', '-v']);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toContain('kept the folders up made for bind mounts (they may hold data): ./short/deep, ./long');
      expect(fs.existsSync(record)).toBe(false);
      // As Compose: what up made on the host stays (it may hold the user's data).
      expect(fs.readFileSync(path.join(folder, 'long/seen'), 'utf8')).toBe('long\n');
      expect(target.leftovers(project)).toEqual([]);
    } finally {
      run(target.runtime, file, project, ['down', '-v']);
    }
  }, 120_000);

  it.skipIf(!target.ready)('a file bound onto a directory of the image fails naming that bind, not a later step it broke', () => {
    const project = newProject();
    const file = stackFile(project, ['services:', '  app:', `    image: ${target.image()}`, '    command: ["sleep", "600"]', '    volumes:', '      - ./plain-file:/etc']);
    fs.writeFileSync(path.join(path.dirname(file), 'plain-file'), 'a file\n');
    try {
      // Several times: the embedded launcher's setup fails while up wires the container's network.
      for (let i = 0; i < 3; i++) {
        const up = run(target.runtime, file, project, ['up', '-d']);
        expect(up.code, up.stderr).toBe(1);
        expect(up.stderr).toMatch(/\/etc\b.*([Nn]ot a directory|[Ii]s a directory)/);
        expect(up.stderr).not.toMatch(/nsenter|eth0|ns\/net|a bug in hafen/);
      }
      expect(run(target.runtime, file, project, ['down', '-v']).code).toBe(0);
      expect(target.leftovers(project)).toEqual([]);
    } finally {
      run(target.runtime, file, project, ['down', '-v']);
    }
  }, 120_000);
});
