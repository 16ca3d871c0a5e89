/**
 * Images on a swarm's nodes without a user-run registry (issue 18), on the two-node lab with links
 * from this machine (src/testing/swarm-lab.ts `hostLinks`) and Debian's docker-registry listening
 * where both nodes reach it:
 * - `build:` and a buildah-made OCI layout with `up --registry`: built by the embedded builder (or
 *   imported), pushed, deployed by digest; each node's task runs exactly the pushed image;
 * - no registry: a buildah-made docker-archive and a built image loaded into each node's engine
 *   through `ships:` (one marked `manager: true`, which wins over DOCKER_HOST), deployed by image
 *   ID; a second `up` finds the images there and loads nothing;
 * - a compose file written for `docker stack deploy` (replicas, placement, resources, update_config,
 *   secrets, configs, an attachable overlay) deployed unchanged, and accepted by `docker stack deploy`;
 * - the registry cut off from the worker, or a worker no ship names: the failure names the service,
 *   the worker and the image, and says why;
 * - neither registry nor ships: one line naming both ways, exit 2, nothing made.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../src/runtime/embedded/registry/fixtures/test-registry.js';
import { EmbeddedImageService } from '../src/runtime/embedded/embedded-image-service.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { requireSwarmLab, startSwarmLab, swarmLabLeftovers, type SwarmLab } from '../src/testing/swarm-lab.js';
import { stack as cli, type CliResult } from './cli.js';

/** Lab addresses of this file: 10.240.0.0/16. */
const POOL = 240;
const BASE = 'local/busybox:1';

describe.skipIf(unmet(...requireSwarmLab(), requireCommand('docker-registry'), requireCommand('buildah'), requireCommand('docker')))('swarm images: build, push, deploy by digest; load through ships', () => {
  let lab: SwarmLab | undefined;
  let registry: TestRegistry | undefined;
  let base = '';
  let root = '';
  /** The buildah-made image as a docker-archive and as an OCI layout. */
  let tar = '';
  let layout = '';
  const projects: { dir: string; name: string }[] = [];

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-swarm-images-'));
    root = path.join(base, 'root');
    await importBusyboxImage(openStore(root), BASE);
    // A real tool's image: buildah from scratch, busybox copied in, pushed as a docker-archive and as an OCI layout.
    const buildah = ['--root', path.join(base, 'buildah/root'), '--runroot', path.join(base, 'buildah/run'), '--storage-driver', 'vfs'];
    const b = (...args: string[]) => execFileSync('buildah', [...buildah, ...args], { encoding: 'utf8' }).trim();
    tar = path.join(base, 'tool.tar');
    layout = path.join(base, 'tool-layout');
    try {
      const ctr = b('from', 'scratch');
      b('copy', ctr, '/bin/busybox', '/bin/busybox');
      b('config', '--cmd', '["/bin/busybox", "sh", "-c", "echo buildah-made; exec /bin/busybox sleep 600"]', ctr);
      b('commit', '-q', ctr, 'hafen-e2e/tool:1');
      b('push', '-q', 'hafen-e2e/tool:1', `docker-archive:${tar}:hafen-e2e/tool:1`);
      b('push', '-q', 'hafen-e2e/tool:1', `oci:${layout}:1`);
    } finally {
      spawnSync('buildah', [...buildah, 'rm', '-a']);
      spawnSync('buildah', [...buildah, 'rmi', '-a', '-f']);
    }
    lab = await startSwarmLab({ pool: POOL, hostLinks: true });
    registry = await startRegistry(path.join(base, 'registry'), undefined, lab.hostAddress);
    await lab.importBusybox(BASE); // for the services that run the base image as named
  }, 240_000);

  afterAll(async () => {
    try {
      for (const p of projects) run(p.dir, ['down']);
    } finally {
      await registry?.stop();
      const it = lab;
      await it?.stop();
      fs.rmSync(base, { recursive: true, force: true });
      if (it) expect(swarmLabLeftovers(it)).toEqual([]);
    }
  }, 240_000);

  /** A project folder with `stack.yaml` (or `file`) and, for builds, `app/` (a Dockerfile over the base image). */
  function project(prefix: string, yaml: (name: string) => string, file = 'stack.yaml'): { dir: string; name: string } {
    const name = `${prefix}${randomBytes(3).toString('hex')}`;
    const dir = fs.mkdtempSync(path.join(base, `${prefix}-`));
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app/Dockerfile'), `FROM ${BASE}\nCOPY hello.txt /hello.txt\nCMD ["sh", "-c", "cat /hello.txt; exec sleep 600"]\n`);
    fs.writeFileSync(path.join(dir, 'app/hello.txt'), `hello from ${name}\n`);
    // A compose file for docker stack deploy is written as it is (the project named by -p).
    fs.writeFileSync(path.join(dir, file), `${file === 'stack.yaml' ? `name: ${name}\n` : ''}${yaml(name)}`);
    const p = { dir, name };
    projects.push(p);
    return p;
  }
  /** `ships:` lines: the manager's engine (marked manager), and the worker's when `worker`. */
  const shipsYaml = (worker: boolean) => ['ships:', `  nodea: {docker: "${lab!.manager.host}", manager: true}`, ...(worker ? [`  nodeb: {docker: "${lab!.worker.host}"}`] : [])];
  function run(dir: string, args: string[], env: Record<string, string> = {}): CliResult {
    return cli(['--runtime', 'swarm', ...args], {
      cwd: dir,
      env: { DOCKER_HOST: lab!.manager.host, HAFEN_ROOT: root, HAFEN_INSECURE_REGISTRIES: registry!.host, ...env },
      timeout: 300_000,
    });
  }
  type Task = { NodeID: string; Status: { State: string; ContainerStatus?: { ContainerID?: string } } };
  /** Per node hostname: the image ID of each running task container of `service`. */
  async function runningImages(p: string, service: string): Promise<Record<string, string[]>> {
    const m = lab!.manager.docker;
    const names = new Map(((await m.listNodes()) as { ID: string; Description: { Hostname: string } }[]).map((n) => [n.ID, n.Description.Hostname]));
    const tasks = ((await m.listTasks({ filters: { service: [`${p}_${service}`], 'desired-state': ['running'] } })) as Task[]).filter((t) => t.Status.State === 'running');
    const out: Record<string, string[]> = {};
    for (const t of tasks) {
      const host = names.get(t.NodeID)!;
      const node = lab!.nodes.find((n) => n.hostname === host)!;
      const c = await node.docker.getContainer(t.Status.ContainerStatus!.ContainerID!).inspect();
      (out[host] ??= []).push(c.Image);
    }
    return out;
  }
  const specImage = async (p: string, service: string) => ((await lab!.manager.docker.getService(`${p}_${service}`).inspect()).Spec.TaskTemplate.ContainerSpec.Image as string);
  /** The config digest (image ID) hafen's store gives `ref`. */
  async function storeImageId(ref: string): Promise<string> {
    const details = await new EmbeddedImageService(root).inspect(ref);
    if (!details) throw new Error(`hafen's store has no ${ref}`);
    return details.id;
  }
  async function gone(p: string): Promise<string[]> {
    const filters = { label: [`com.docker.stack.namespace=${p}`] };
    const end = Date.now() + 60_000;
    for (;;) {
      const left: string[] = [];
      for (const n of lab!.nodes) left.push(...(await n.docker.listContainers({ all: true, filters })).map((c) => `${n.hostname}: ${c.Names[0]}`));
      left.push(...(await lab!.manager.docker.listServices({ filters })).map((s) => `service ${s.Spec?.Name}`));
      if (left.length === 0 || Date.now() > end) return left;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  it('neither a registry nor ships: one line naming both ways, exit 2, nothing made', async () => {
    const p = project('swin', () => 'services:\n  web: {build: ./app, deploy: {endpoint_mode: dnsrr}}\n');
    const r = run(p.dir, ['up', '-d']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/stack\.yaml:\d+:\d+ services\.web\.build: .*no registry.*name a registry with x-hafen-registry.*--registry.*ships:/);
    expect(await gone(p.name)).toEqual([]);
  }, 60_000);

  it('builds, pushes to --registry and deploys by digest: both nodes run exactly the pushed image', async () => {
    const p = project('swib', () =>
      [
        'services:',
        '  web:',
        '    build: ./app',
        '    replicas: 2',
        '    deploy: {endpoint_mode: dnsrr, placement: {max_replicas_per_node: 1}}',
        '  tool:',
        `    image: "oci:${layout}:1"`,
        `    deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.hostname == ${lab!.worker.hostname}"]}}`,
        '',
      ].join('\n'),
    );
    const refused = run(p.dir, ['up', '-d', '--no-build', '--registry', registry!.host]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`services.web: --no-build, and hafen's image store has no ${p.name}-web`);
    const up = run(p.dir, ['up', '-d', '--registry', registry!.host, '--progress', 'plain']);
    expect(`exit ${up.code}: ${up.stderr}`).toMatch(/^exit 0: /);
    const image = await specImage(p.name, 'web');
    const ref = `${registry!.host}/${p.name}-web:latest`;
    expect(image).toMatch(new RegExp(`^${ref.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`));
    // The digest is the registry's: the manifest it serves under the tag hashes to it.
    const res = await fetch(`http://${registry!.host}/v2/${p.name}-web/manifests/latest`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } });
    expect(image.endsWith(`@${res.headers.get('docker-content-digest')}`)).toBe(true);
    const id = await storeImageId(`${p.name}-web`);
    expect(await runningImages(p.name, 'web')).toEqual({ [lab!.manager.hostname]: [id], [lab!.worker.hostname]: [id] });
    expect(run(p.dir, ['logs', 'web']).stdout).toContain(`hello from ${p.name}`);
    // The OCI layout buildah wrote: imported, pushed as PROJECT-tool, run on the worker by digest.
    expect(await specImage(p.name, 'tool')).toMatch(new RegExp(`^${registry!.host.replace(/[.]/g, '\\.')}/${p.name}-tool:latest@sha256:[0-9a-f]{64}$`));
    expect(await runningImages(p.name, 'tool')).toEqual({ [lab!.worker.hostname]: [await storeImageId(`oci:${layout}:1`)] });
    expect(run(p.dir, ['logs', 'tool']).stdout).toContain('buildah-made');
    // Again, nothing changed: the same digest, the service unchanged.
    const again = run(p.dir, ['up', '-d', '--registry', registry!.host]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing changed');
    expect(run(p.dir, ['down']).code).toBe(0);
    expect(await gone(p.name)).toEqual([]);
  }, 400_000);

  it('loads a buildah-made archive and a built image through ships: (manager: true over DOCKER_HOST), by image ID; a second up loads nothing', async () => {
    const p = project('swis', () =>
      [
        ...shipsYaml(true),
        'services:',
        `  tool: {image: "docker-archive:${tar}", deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.hostname == ${lab!.worker.hostname}"]}}}`,
        '  web: {build: ./app, replicas: 2, deploy: {endpoint_mode: dnsrr, placement: {max_replicas_per_node: 1}}}',
        '',
      ].join('\n'),
    );
    // DOCKER_HOST names the worker, which would be refused: the ship marked manager is the target.
    const up = run(p.dir, ['up', '-d', '--progress', 'json'], { DOCKER_HOST: lab!.worker.host });
    expect(`exit ${up.code}: ${up.stderr}`).toMatch(/^exit 0: /);
    const progress = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { kind: string; text?: string; resource?: string }).filter((e) => e.kind === 'op-progress').map((e) => e.text!);
    const toolId = await storeImageId(`docker-archive:${tar}`);
    const webId = await storeImageId(`${p.name}-web`);
    const first = progress(up.stdout + up.stderr);
    // This project's build is new to both nodes; the buildah image may be on the worker already (pulled by digest before, same image ID).
    for (const ship of ['nodea', 'nodeb']) expect(first).toContain(`${ship}: loaded ${webId.slice(0, 19)}`);
    for (const ship of ['nodea', 'nodeb']) expect(first.filter((t) => t === `${ship}: loaded ${toolId.slice(0, 19)}` || t === `${ship}: has ${toolId.slice(0, 19)}`)).toHaveLength(1);
    expect(await specImage(p.name, 'tool')).toBe(toolId);
    expect(await specImage(p.name, 'web')).toBe(webId);
    expect(await runningImages(p.name, 'tool')).toEqual({ [lab!.worker.hostname]: [toolId] });
    expect(await runningImages(p.name, 'web')).toEqual({ [lab!.manager.hostname]: [webId], [lab!.worker.hostname]: [webId] });
    expect(run(p.dir, ['logs', 'tool'], { DOCKER_HOST: lab!.worker.host }).stdout).toContain('buildah-made');
    const again = run(p.dir, ['up', '-d', '--progress', 'json'], { DOCKER_HOST: lab!.worker.host });
    expect(again.code).toBe(0);
    const second = progress(again.stdout + again.stderr);
    expect(second.filter((t) => / loaded /.test(t))).toEqual([]);
    for (const id of [toolId, webId]) for (const ship of ['nodea', 'nodeb']) expect(second).toContain(`${ship}: has ${id.slice(0, 19)}`);
    expect(run(p.dir, ['down'], { DOCKER_HOST: lab!.worker.host }).code).toBe(0);
    expect(await gone(p.name)).toEqual([]);
  }, 400_000);

  it('a node no ship names: warned before the deploy, and its task\'s failure says why', async () => {
    const p = project('swio', () =>
      [
        ...shipsYaml(false),
        'services:',
        `  web: {build: ./app, deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.hostname == ${lab!.worker.hostname}"]}}}`,
        '',
      ].join('\n'),
    );
    const up = run(p.dir, ['up', '-d', '--progress', 'plain', '--wait-timeout', '90s']);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toContain(`warning: swarm node(s) ${lab!.worker.hostname} have no ships: entry; a task of web placed there finds no image`);
    expect(up.stderr).toMatch(new RegExp(`service web: .*web\\.1 on ${lab!.worker.hostname}: rejected: No such image: sha256:[0-9a-f]{64}.*a node without a ships: entry has none`));
    expect(run(p.dir, ['down']).code).toBe(0);
    expect(await gone(p.name)).toEqual([]);
  }, 400_000);

  it('deploys a compose file written for docker stack deploy, unchanged (docker stack deploy takes it too)', async () => {
    const file = 'docker-compose.yml';
    const p = project('swic', () =>
      [
        'version: "3.8"',
        'services:',
        '  api:',
        `    image: ${BASE}`,
        '    command: ["sh", "-c", "cat /run/secrets/token /etc/app.conf; exec sleep 600"]',
        '    networks: [backend]',
        '    secrets: [token]',
        '    configs: [{source: app_conf, target: /etc/app.conf}]',
        '    deploy:',
        '      replicas: 2',
        '      endpoint_mode: dnsrr',
        '      placement: {constraints: ["node.platform.os == linux"], max_replicas_per_node: 1, preferences: [{spread: node.id}]}',
        '      resources: {limits: {cpus: "0.50", memory: 64M}, reservations: {memory: 16M}}',
        '      update_config: {parallelism: 1, delay: 1s, order: stop-first, failure_action: rollback}',
        '      restart_policy: {condition: on-failure, delay: 1s}',
        'networks:',
        '  backend: {driver: overlay, attachable: true}',
        'secrets:',
        '  token: {file: ./token.txt}',
        'configs:',
        '  app_conf: {file: ./app.conf}',
        '',
      ].join('\n'),
      file,
    );
    fs.writeFileSync(path.join(p.dir, 'token.txt'), 's3cret-token\n');
    fs.writeFileSync(path.join(p.dir, 'app.conf'), 'mode=swarm\n');
    const up = run(p.dir, ['-p', p.name, 'up', '-d']);
    expect(`exit ${up.code}: ${up.stderr}`).toMatch(/^exit 0: /);
    const spec = (await lab!.manager.docker.getService(`${p.name}_api`).inspect()).Spec;
    expect(spec.Mode.Replicated.Replicas).toBe(2);
    expect(spec.TaskTemplate.Resources.Limits).toMatchObject({ NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024 });
    expect(spec.UpdateConfig).toMatchObject({ Parallelism: 1, FailureAction: 'rollback', Order: 'stop-first' });
    const net = await lab!.manager.docker.getNetwork(`${p.name}_backend`).inspect();
    expect(net).toMatchObject({ Driver: 'overlay', Attachable: true });
    expect(Object.keys(await runningImages(p.name, 'api')).sort()).toEqual([lab!.manager.hostname, lab!.worker.hostname].sort());
    const logs = run(p.dir, ['-p', p.name, 'logs', 'api']).stdout;
    expect(logs).toContain('s3cret-token');
    expect(logs).toContain('mode=swarm');
    expect(run(p.dir, ['-p', p.name, 'down']).code).toBe(0);
    expect(await gone(p.name)).toEqual([]);
    // The peer reads the same file as its own (then it is removed again).
    const peer = `${p.name}peer`;
    const docker = (...args: string[]) => spawnSync('docker', ['-H', lab!.manager.host, ...args], { cwd: p.dir, encoding: 'utf8' });
    try {
      const deployed = docker('stack', 'deploy', '--resolve-image', 'never', '-c', file, peer);
      expect(`exit ${deployed.status}: ${deployed.stderr}`).toMatch(/^exit 0: /);
    } finally {
      docker('stack', 'rm', peer);
    }
    expect(await gone(peer)).toEqual([]);
  }, 400_000);

  it('a registry the worker cannot reach: the failure names the service, the worker and the image it could not get', async () => {
    const p = project('swiu', () =>
      [
        `x-hafen-registry: "${registry!.host}"`,
        'services:',
        '  web:',
        '    build: ./app',
        `    deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.hostname == ${lab!.worker.hostname}"]}}`,
        '',
      ].join('\n'),
    );
    const { netns, route } = lab!.routeToHost!;
    execFileSync('ip', ['-n', netns, 'route', 'del', ...route]);
    try {
      const up = run(p.dir, ['up', '-d', '--progress', 'plain', '--wait-timeout', '90s']);
      expect(up.code).not.toBe(0);
      expect(up.stderr).toMatch(new RegExp(`service web: .*web\\.1 on ${lab!.worker.hostname}: rejected: .*No such image: ${registry!.host.replace(/[.]/g, '\\.')}/${p.name}-web`));
      expect(up.stderr).toContain(`the node could not pull ${registry!.host}/${p.name}-web:latest@sha256:`);
      expect(up.stderr).not.toMatch(/at .*\.js:\d+/);
    } finally {
      execFileSync('ip', ['-n', netns, 'route', 'add', ...route]);
    }
    expect(run(p.dir, ['down']).code).toBe(0);
    expect(await gone(p.name)).toEqual([]);
  }, 400_000);
});
