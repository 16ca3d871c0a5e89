/**
 * Ships (maestro-ng style) on one machine: a second dockerd of the test's own (its own data-root,
 * exec-root, pidfile, socket, containerd namespace, address pool and bridge; no iptables) is
 * ship `east`. A service on `east` publishes a port; its dependent on the default engine reaches it
 * through DB_HOST and DB_PORT alone. Down removes everything of the project from both engines, and
 * the second dockerd is stopped and its folders removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStack } from '../src/config/load-stack.js';
import type { Event } from '../src/executor/events.js';
import { downStack } from '../src/orchestrator/down.js';
import { upStack } from '../src/orchestrator/up.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { dockerShips } from '../src/runtime/docker/ships-runtime.js';
import { importBusyboxImage } from '../src/runtime/docker/test-images.js';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { dockerLeaks, runtimeNamed } from './conformance/runtimes.js';

const tag = randomBytes(3).toString('hex');
/** A short folder: the socket path must stay under 108 bytes. */
const base = `/tmp/hs-${tag}`;
/**
 * The second engine's own default bridge. Not `--bridge=none`: a dockerd started so deletes the
 * host's docker0, which the first engine still uses.
 */
const bridge = `hs${tag}`;
const socket = `unix://${base}/docker.sock`;

/** What ship `east` has of `project`. */
function eastLeaks(project: string): string[] {
  const r = spawnSync('docker', ['-H', socket, 'ps', '-a', '-q', '--filter', `label=io.hafen.project=${project}`], { encoding: 'utf8' });
  const n = spawnSync('docker', ['-H', socket, 'network', 'ls', '-q', '--filter', `label=io.hafen.project=${project}`], { encoding: 'utf8' });
  return [...r.stdout.split('\n'), ...n.stdout.split('\n')].filter(Boolean);
}

describe.skipIf(unmet(...runtimeNamed('docker').requirements, requireCommand('dockerd'), requireCommand('ip')))('ships: two Docker engines', () => {
  let dockerd: ChildProcess | undefined;
  let log = '';

  beforeAll(async () => {
    fs.mkdirSync(base, { recursive: true });
    for (const args of [['link', 'add', bridge, 'type', 'bridge'], ['addr', 'add', `10.214.${parseInt(tag.slice(0, 2), 16)}.1/24`, 'dev', bridge], ['link', 'set', bridge, 'up']]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
    dockerd = spawn(
      'dockerd',
      [
        `--data-root=${base}/data`,
        `--exec-root=${base}/exec`,
        `--pidfile=${base}/docker.pid`,
        `-H=${socket}`,
        `--bridge=${bridge}`,
        '--iptables=false',
        '--containerd-namespace=hafen-ship-test',
        '--containerd-plugins-namespace=hafen-ship-test-plugins',
        '--default-address-pool=base=10.213.0.0/16,size=24',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dockerd.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    dockerd.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    for (let i = 0; ; i++) {
      if (spawnSync('docker', ['-H', socket, 'info'], { stdio: 'ignore' }).status === 0) break;
      if (i > 150 || dockerd.exitCode !== null) throw new Error(`the second dockerd did not come up:\n${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await importBusyboxImage(new DockerRuntime({ docker: socket }).docker);
    await importBusyboxImage(new DockerRuntime().docker);
  }, 60_000);

  afterAll(async () => {
    if (dockerd && dockerd.exitCode === null) {
      const closed = new Promise((r) => dockerd!.on('close', r));
      dockerd.kill('SIGTERM');
      await closed;
    }
    spawnSync('umount', ['-R', `${base}/data`], { stdio: 'ignore' });
    spawnSync('umount', ['-R', `${base}/exec`], { stdio: 'ignore' });
    fs.rmSync(base, { recursive: true, force: true });
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  }, 60_000);

  it('starts a dependent on the default engine after its dependency on ship east, with DB_HOST and DB_PORT; down clears both', async () => {
    const project = `ship${randomBytes(3).toString('hex')}`;
    const dir = path.join(base, 'stack');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'stack.yaml'),
      [
        `name: ${project}`,
        'ships:',
        `  east: {docker: "${socket}"}`,
        'services:',
        '  db:',
        '    image: hafen-test/busybox:latest',
        '    ship: east',
        `    command: ["sh", "-c", "echo hello from east > /tmp/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /tmp & wait"]`,
        '    ports: ["0.0.0.0::8080"]',
        '    healthcheck: {test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/"], interval: 200ms, retries: 50}',
        '  app:',
        '    image: hafen-test/busybox:latest',
        `    command: ["sh", "-c", "echo \\"app got $$(wget -qO- http://$$DB_HOST:$$DB_PORT/)\\"; trap 'exit 0' TERM; sleep 600 & wait"]`,
        '    depends_on: {db: {condition: service_healthy}}',
        '',
      ].join('\n'),
    );
    const stack = await loadStack({ cwd: dir, env: process.env });
    const events: Event[] = [];
    const runtime = dockerShips(stack);
    try {
      await upStack(stack, { runtime, sink: (e) => events.push(e) });
      const containers = await runtime.listContainers({ 'io.hafen.project': project });
      expect(containers.map((c) => `${c.name} ${c.state} ${c.host}`)).toEqual([`${project}-app-1 running ${new DockerRuntime().host}`, `${project}-db-1 running east`]);
      const db = containers.find((c) => c.name.endsWith('db-1'))!;
      const env = (await runtime.exec(`${project}-app-1`, { command: ['sh', '-c', 'echo $DB_HOST $DB_PORT'] })).stdout.trim();
      expect(env).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+\\.\\d+ ${db.ports[0]!.hostPort}$`));
      let logs = '';
      for (let i = 0; i < 50 && !logs.includes('app got'); i++) {
        logs = '';
        for await (const l of runtime.logs(`${project}-app-1`)) logs += `${l.text}\n`;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(logs).toContain('app got hello from east');
      expect(eastLeaks(project)).not.toEqual([]);
    } finally {
      await downStack(stack, { sink: () => {}, runtime: 'docker' });
      await runtime.close();
    }
    expect(dockerLeaks(project)).toEqual([]);
    expect(eastLeaks(project)).toEqual([]);
  }, 120_000);
});
