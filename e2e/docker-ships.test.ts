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
import { resetStack, snapshotStack } from '../src/orchestrator/snapshots.js';
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

/** The snapshot images and volumes an engine (`-H host`, or the default one) has of `project`, and its volumes. */
function snapshotLeftovers(project: string, host?: string): string[] {
  const on = host ? ['-H', host] : [];
  const list = (args: string[], filter: string) => spawnSync('docker', [...on, ...args, '--filter', filter], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return [
    ...list(['images', '-q'], `label=io.hafen.snapshot.project=${project}`).map((i) => `image ${i}`),
    ...list(['volume', 'ls', '-q'], `label=io.hafen.snapshot.project=${project}`).map((v) => `snapshot volume ${v}`),
    ...list(['volume', 'ls', '-q'], `label=io.hafen.project=${project}`).map((v) => `volume ${v}`),
  ];
}

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

  it('snapshots and resets each service on its own ship (containers committed, volumes copied there); ls merges, rm and down -v clear both', async () => {
    const project = `shipsnap${randomBytes(3).toString('hex')}`;
    const dir = path.join(base, `stack-${project}`);
    fs.mkdirSync(dir, { recursive: true });
    const sleeper = `["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]`;
    fs.writeFileSync(
      path.join(dir, 'stack.yaml'),
      [`name: ${project}`, 'ships:', `  east: {docker: "${socket}"}`, 'services:', '  db:', '    image: hafen-test/busybox:latest', '    ship: east', `    command: ${sleeper}`, '    volumes: ["data:/data"]', '  app:', '    image: hafen-test/busybox:latest', `    command: ${sleeper}`, '    volumes: ["data:/data"]', 'volumes:', '  data: {}', ''].join('\n'),
    );
    const stack = await loadStack({ cwd: dir, env: process.env });
    const runtime = dockerShips(stack);
    const sink = () => {};
    const sh = async (service: string, script: string) => (await runtime.exec(`${project}-${service}-1`, { command: ['sh', '-c', script] })).stdout;
    const read = async () => `${await sh('db', 'cat /data/v /state/a; ls /state')}|${await sh('app', 'cat /data/v /state/a; ls /state')}`;
    try {
      await upStack(stack, { runtime, sink });
      await sh('db', 'mkdir -p /state && echo east > /data/v && echo east-root > /state/a');
      await sh('app', 'mkdir -p /state && echo here > /data/v && echo here-root > /state/a');
      const seeded = await read();
      expect(seeded).toBe('east\neast-root\na\n|here\nhere-root\na\n');
      const info = await snapshotStack(stack, 'seed', { runtime, sink });
      expect(info).toMatchObject({ name: 'seed', services: ['app', 'db'], containers: [`${project}-app-1`, `${project}-db-1`], volumes: [`${project}_data`] });
      // Each engine holds its own part: a committed image and a volume copy.
      for (const host of [undefined, socket]) expect(snapshotLeftovers(project, host).filter((l) => !l.startsWith('volume '))).toHaveLength(2);
      expect((await runtime.listSnapshots(project)).map((s) => `${s.name} ${s.containers.join(',')}`)).toEqual([`seed ${project}-app-1,${project}-db-1`]);

      await sh('db', 'echo later > /data/v && echo later > /state/a && touch /state/new');
      await sh('app', 'echo later > /data/v && rm /state/a');
      expect(await read()).not.toBe(seeded);
      await resetStack(stack, 'seed', { runtime, sink });
      expect(await read()).toBe(seeded);

      // Removed from both (the images untagged: the reset containers are made of them, so they stay until `down -v`).
      await runtime.removeSnapshot(project, 'seed');
      await expect(runtime.listSnapshots(project)).resolves.toEqual([]);
      for (const host of [undefined, socket]) expect(snapshotLeftovers(project, host).filter((l) => l.startsWith('snapshot volume '))).toEqual([]);
      await expect(runtime.removeSnapshot(project, 'seed')).rejects.toThrow('no snapshot "seed"');
      // One archive is one engine's: a snapshot held on both is not saved as one; one held on east alone is.
      await snapshotStack(stack, 'again', { runtime, sink });
      const file = path.join(dir, 'snapshot.tar');
      await expect(runtime.saveSnapshot(project, 'again', file)).rejects.toThrow('saving a snapshot spread over ships as one archive is not done yet');
      await snapshotStack(stack, 'east-only', { runtime, sink, services: ['db'] });
      expect(await runtime.saveSnapshot(project, 'east-only', file)).toEqual([`hafen-snapshot/${project}/${project}-db-1:east-only`, `hafen-snapshot/${project}/volume-${project}-data:east-only`]);
      expect(spawnSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' }).stdout).toContain(`${project}-db-1:east-only`);
    } finally {
      await downStack(stack, { sink, runtime: 'docker', volumes: true });
      await runtime.close();
    }
    expect(dockerLeaks(project)).toEqual([]);
    expect(eastLeaks(project)).toEqual([]);
    expect(snapshotLeftovers(project)).toEqual([]);
    expect(snapshotLeftovers(project, socket)).toEqual([]);
  }, 180_000);
});
