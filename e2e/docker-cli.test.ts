/**
 * The CLI on the Docker runtime, as a user runs it: a busybox stack with a health-gated dependency
 * (`stack --runtime docker up -d`, ps, logs, exec, a published port, down), stack.example.yaml on
 * Docker (its `image: host` swapped for a node image and its Dockerfile built by the engine), a run
 * killed midway that `down` still cleans up, and `image: host` refused. After each test nothing of
 * the project is left on the engine: no container, network or volume with its label.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage, importNodeImage } from '../src/runtime/docker/test-images.js';
import { unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot, type CliResult } from './cli.js';
import { dockerLeaks, runtimeNamed } from './conformance/runtimes.js';

describe.skipIf(unmet(...runtimeNamed('docker').requirements))('stack on the docker runtime', () => {
  let dir: string;
  let busybox: string;
  let node: string;
  const projects: string[] = [];

  const run = (project: string, args: string[], opts: { file?: string; timeout?: number } = {}): CliResult => {
    const r = spawnSync(process.execPath, [cliPath, '--runtime', 'docker', '-f', opts.file ?? path.join(dir, 'stack.yaml'), '-p', project, '--progress', 'plain', ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: opts.timeout ?? 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const newProject = (): string => {
    const p = `dk${randomBytes(3).toString('hex')}`;
    projects.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-docker-cli-'));
    const runtime = new DockerRuntime();
    [busybox, node] = await Promise.all([importBusyboxImage(runtime.docker), importNodeImage(runtime.docker)]);
    fs.writeFileSync(
      path.join(dir, 'stack.yaml'),
      [
        'services:',
        '  web:',
        `    image: ${busybox}`,
        `    command: ["sh", "-c", "echo hello from web > /tmp/index.html; echo web up; trap 'exit 0' TERM; httpd -f -p 8080 -h /tmp & wait"]`,
        '    ports: ["8080"]',
        '    healthcheck: {test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/"], interval: 100ms, retries: 50}',
        '    volumes: ["data:/data"]',
        '  app:',
        `    image: ${busybox}`,
        `    command: ["sh", "-c", "echo app sees $$(wget -qO- http://web:8080/); trap 'exit 0' TERM; sleep 600 & wait"]`,
        '    depends_on: {web: {condition: service_healthy}}',
        '    restart: always',
        '    resources: {memory: 64m, cpus: 0.5, pids: 64}',
        'volumes: {data: {}}',
        '',
      ].join('\n'),
    );
  }, 120_000);

  afterEach(() => {
    for (const p of projects.splice(0)) {
      run(p, ['down', '-v']);
      expect(dockerLeaks(p), `leftovers of ${p}`).toEqual([]);
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('up -d waits for the healthy dependency; ps, logs, exec and the published port work; down leaves nothing', async () => {
    const p = newProject();
    const up = run(p, ['up', '-d']);
    expect(up.code, up.stderr).toBe(0);

    const ps = JSON.parse(run(p, ['ps', '--json']).stdout) as Array<{ service: string; state: string; health: string; ports: { hostIp: string; hostPort: number }[]; runtime: string }>;
    expect(ps.map((c) => [c.service, c.state, c.health])).toEqual([
      ['app', 'running', 'none'],
      ['web', 'running', 'healthy'],
    ]);
    const port = ps.find((c) => c.service === 'web')!.ports[0]!;
    expect(port.hostIp).toBe('127.0.0.1');
    expect(await (await fetch(`http://127.0.0.1:${port.hostPort}/`)).text()).toBe('hello from web\n');

    const logs = run(p, ['logs', 'app']);
    expect(logs.stdout).toContain('app sees hello from web');
    const exec = run(p, ['exec', 'web', 'sh', '-c', 'echo in $(hostname); ls -d /data']);
    expect(exec.stdout).toBe('in web-1\n/data\n');
    expect(spawnSync('docker', ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', `${p}-app-1`], { encoding: 'utf8' }).stdout.trim()).toBe(
      `always ${64 * 1024 * 1024} 500000000 64`,
    );

    const down = run(p, ['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain('2 container(s) removed');
    expect(dockerLeaks(p)).toEqual([]);
  });

  it('down removes what a run killed midway left on the engine', async () => {
    const p = newProject();
    const child = spawn(process.execPath, [cliPath, '--runtime', 'docker', '-f', path.join(dir, 'stack.yaml'), '-p', p, '--progress', 'plain', 'up'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`up never got to app: ${out}`)), 60_000);
      const seen = (b: Buffer) => {
        out += b.toString();
        if (out.includes('app sees')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(dockerLeaks(p)).not.toEqual([]);
    const down = run(p, ['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(dockerLeaks(p)).toEqual([]);
  });

  it('a ready: log check sees a line printed at once, though the engine stamps it before the start time it reports', () => {
    const p = newProject();
    const file = path.join(fs.mkdtempSync(path.join(dir, 'ready-log-')), 'stack.yaml');
    fs.writeFileSync(file, ['services:', '  quick:', `    image: ${busybox}`, '    command: ["sh", "-c", "echo up-now; exec sleep 600"]', '    ready: {log: "^up-now$"}', '    stop_signal: SIGKILL', ''].join('\n'));
    try {
      // Several times: the stamp lands before StartedAt only in some runs.
      for (let i = 0; i < 6; i++) {
        const up = run(p, ['up', '-d', '--force-recreate', '--wait-timeout', '8'], { file });
        expect(up.code, up.stderr).toBe(0);
      }
    } finally {
      expect(run(p, ['down', '-v'], { file }).code).toBe(0);
    }
    expect(dockerLeaks(p)).toEqual([]);
  }, 120_000);

  it('a service that exits 0 on SIGTERM, stopped by stack stop, is started again by up and by restart (not taken for a finished one-shot)', () => {
    const p = newProject();
    const file = path.join(fs.mkdtempSync(path.join(dir, 'polite-')), 'stack.yaml');
    fs.writeFileSync(file, ['services:', '  polite:', `    image: ${busybox}`, `    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]`, '  job:', `    image: ${busybox}`, '    command: ["true"]', ''].join('\n'));
    const state = (service: string): string => spawnSync('docker', ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', `${p}-${service}-1`], { encoding: 'utf8' }).stdout.trim();
    try {
      expect(run(p, ['up', '-d'], { file }).code).toBe(0);
      expect(state('job')).toBe('exited 0');
      const stop = run(p, ['stop', 'polite'], { file });
      expect(stop.code, stop.stderr).toBe(0);
      expect(state('polite')).toBe('exited 0');
      const up = run(p, ['up', '-d'], { file });
      expect(up.code, up.stderr).toBe(0);
      expect(state('polite')).toBe('running 0');
      expect(state('job')).toBe('exited 0'); // the one-shot that finished by itself is kept, not run again
      const restart = run(p, ['restart', 'polite'], { file });
      expect(restart.code, restart.stderr).toBe(0);
      expect(state('polite')).toBe('running 0');
    } finally {
      expect(run(p, ['down', '-v'], { file }).code).toBe(0);
    }
    expect(dockerLeaks(p)).toEqual([]);
  }, 120_000);

  it('stack build stops at SIGTERM during a RUN step: exit 130, the engine keeps no image of it', async () => {
    const p = newProject();
    const folder = fs.mkdtempSync(path.join(dir, 'slow-build-'));
    const tag = `hafen-test/${p}-slow:latest`;
    fs.writeFileSync(path.join(folder, 'Dockerfile'), `FROM ${busybox}\nRUN echo building && sleep 60\n`);
    fs.writeFileSync(path.join(folder, 'stack.yaml'), ['services:', '  slow:', `    image: ${tag}`, '    build: .', ''].join('\n'));
    const child = spawn(process.execPath, [cliPath, '--runtime', 'docker', '-f', path.join(folder, 'stack.yaml'), '-p', p, '--progress', 'plain', 'build'], {
      cwd: folder,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the RUN step never started: ${out}`)), 60_000);
        const seen = (b: Buffer): void => {
          out += b.toString();
          if (out.includes('building')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', seen);
        child.stderr.on('data', seen);
      });
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))]);
      expect(code, out).toBe(130);
      expect(out).toContain('slow: build interrupted');
      expect(out).not.toContain('a bug in hafen');
      expect(spawnSync('docker', ['image', 'inspect', tag]).status).not.toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      spawnSync('docker', ['image', 'rm', '-f', tag]);
    }
  });

  it('brings a Docker variant of stack.example.yaml up (its web image built by the engine); its end-to-end runner passes', () => {
    const p = newProject();
    const shop = path.join(dir, 'examples', 'shop');
    fs.cpSync(path.join(repoRoot, 'examples', 'shop'), shop, { recursive: true });
    const dockerfile = path.join(shop, 'Dockerfile.web');
    fs.writeFileSync(dockerfile, fs.readFileSync(dockerfile, 'utf8').replace(/^FROM host$/m, `FROM ${node}`));
    fs.writeFileSync(path.join(shop, '.dockerignore'), 'e2e.js\n');
    const file = path.join(dir, 'example.yaml');
    fs.writeFileSync(file, fs.readFileSync(path.join(repoRoot, 'stack.example.yaml'), 'utf8').replaceAll('image: host', `image: ${node}`));
    try {
      const r = run(p, ['up', '--exit-code-from', 'e2e'], { file, timeout: 180_000 });
      expect(r.stderr + r.stdout).toContain('e2e: all checks passed');
      expect(r.code).toBe(0);
      // .dockerignore kept e2e.js out of the build context, so out of the image.
      const ls = spawnSync('docker', ['run', '--rm', `${p}-web`, 'ls', '/app'], { encoding: 'utf8' });
      expect(ls.stdout.split('\n').filter(Boolean).sort(), ls.stderr).toEqual(['lib.js', 'package.json', 'web.js']);
      const down = run(p, ['down', '-v'], { file, timeout: 120_000 });
      expect(down.code, down.stderr).toBe(0);
      expect(dockerLeaks(p)).toEqual([]);
    } finally {
      spawnSync('docker', ['rmi', `${p}-web`], { stdio: 'ignore' });
    }
  }, 300_000);

  it('loads a docker-archive: image into the engine once, and runs it', () => {
    const p = newProject();
    const archive = path.join(dir, 'busybox.tar');
    expect(spawnSync('docker', ['save', '-o', archive, busybox]).status).toBe(0);
    const file = path.join(dir, 'archive.yaml');
    fs.writeFileSync(file, `services:\n  job:\n    image: docker-archive:${archive}\n    command: ["echo", "from the archive"]\n`);
    const up = run(p, ['up', '-d'], { file });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/import-image|docker-archive/);
    expect(run(p, ['logs', 'job'], { file }).stdout).toContain('from the archive');
    const again = run(p, ['up', '-d'], { file });
    expect(again.stderr).not.toMatch(/image:docker-archive.*(import|load)/);
    const ps = JSON.parse(run(p, ['ps', '--json'], { file }).stdout) as Array<{ state: string; exitCode?: number }>;
    expect(ps).toMatchObject([{ state: 'exited', exitCode: 0 }]);
    expect(run(p, ['down'], { file }).code).toBe(0);
    const tags = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'hafen-archive/busybox.tar'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(tags).toHaveLength(1);
    spawnSync('docker', ['rmi', ...tags]);
  });

  it('refuses image: host, naming the service and what to use instead', () => {
    const p = newProject();
    const file = path.join(dir, 'host.yaml');
    fs.writeFileSync(file, 'services:\n  api:\n    image: host\n    command: ["true"]\n');
    const r = run(p, ['up', '-d'], { file });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('service api: `image: host` runs on the embedded runtime only');
    expect(r.stderr).toContain('docker load');
  });
});
