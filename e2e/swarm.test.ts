/**
 * The swarm runtime on a real two-node swarm (src/testing/swarm-lab.ts: two dockerd in their own
 * network namespaces, never the machine's own): `stack --runtime swarm up` deploys in dependency
 * order gated on health and on a one-shot's completion, spreads replicas over both nodes, answers
 * across nodes by service name (dnsrr: this kernel has no IPVS), reports a service that cannot be
 * placed by name with "no suitable node", refuses a worker's engine, and `down` leaves nothing on
 * either node; the lab leaves nothing on the machine.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireSwarmLab, startSwarmLab, swarmLabLeftovers, type SwarmLab } from '../src/testing/swarm-lab.js';
import { unmet } from '../src/testing/requirements.js';
import { stack as cli, type CliResult } from './cli.js';

const IMAGE = 'hafen-swarm/busybox:1';

describe.skipIf(unmet(...requireSwarmLab()))('swarm runtime on a two-node swarm', () => {
  let lab: SwarmLab | undefined;
  const dirs: string[] = [];
  const projects: string[] = [];

  beforeAll(async () => {
    lab = await startSwarmLab();
    await lab.importBusybox(IMAGE);
  }, 180_000);

  afterAll(async () => {
    try {
      for (const p of projects) run(p, ['down']);
    } finally {
      const it = lab;
      await it?.stop();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
      if (it) expect(swarmLabLeftovers(it)).toEqual([]);
    }
  }, 240_000);

  /** A project folder with `stack.yaml`; its name is unique per test. */
  function project(name: string, yaml: (project: string) => string): string {
    const p = `${name}${randomBytes(3).toString('hex')}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-swarm-e2e-'));
    dirs.push(dir);
    projects.push(p);
    fs.writeFileSync(path.join(dir, 'stack.yaml'), `name: ${p}\n${yaml(p)}`);
    fs.writeFileSync(path.join(dir, '.project'), p);
    return dir;
  }
  const nameOf = (dir: string) => fs.readFileSync(path.join(dir, '.project'), 'utf8');
  /** `stack --runtime swarm ARGS` in a project's folder, or with `-p PROJECT` alone (from an empty folder). */
  function run(dirOrProject: string, args: string[], host = lab!.manager.host): CliResult {
    const inFolder = fs.existsSync(dirOrProject);
    const cwd = inFolder ? dirOrProject : fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-swarm-e2e-'));
    if (!inFolder) dirs.push(cwd);
    return cli([...(inFolder ? [] : ['-p', dirOrProject]), '--runtime', 'swarm', ...args], { cwd, env: { DOCKER_HOST: host }, timeout: 240_000 });
  }

  /** What of `project` each node's engine still has: containers, networks (and, on the manager, services, secrets, configs). */
  async function onNodes(p: string): Promise<string[]> {
    const out: string[] = [];
    const filters = { label: [`com.docker.stack.namespace=${p}`] };
    for (const n of lab!.nodes) {
      out.push(...(await n.docker.listContainers({ all: true, filters })).map((c) => `${n.hostname}: container ${c.Names[0]}`));
      out.push(...(await n.docker.listNetworks({ filters })).map((x) => `${n.hostname}: network ${x.Name}`));
    }
    const m = lab!.manager.docker;
    out.push(...(await m.listServices({ filters })).map((s) => `service ${s.Spec?.Name}`));
    out.push(...(await m.listSecrets({ filters })).map((s) => `secret ${s.Spec?.Name}`));
    out.push(...(await m.listConfigs({ filters })).map((s) => `config ${s.Spec?.Name}`));
    return out;
  }
  async function eventually(fn: () => Promise<string[]>, ms = 60_000): Promise<string[]> {
    const end = Date.now() + ms;
    for (;;) {
      const left = await fn();
      if (left.length === 0 || Date.now() > end) return left;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  it('refuses an engine that is not a manager, in one line, exit 2, making nothing', async () => {
    const dir = project('swr', () => `services:\n  one: {image: ${IMAGE}, command: ["sleep", "600"]}\n`);
    const r = run(dir, ['up', '-d'], lab!.worker.host);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: --runtime swarm: the Docker engine at ${lab!.worker.host} is a swarm worker, not a manager; set DOCKER_HOST to a manager's engine (managers: ${lab!.manager.address}:2377)`,
    ]);
    expect(await onNodes(nameOf(dir))).toEqual([]);
  }, 60_000);

  it('deploys in order (health and completion gates), spreads replicas over both nodes, answers across nodes; down leaves nothing', async () => {
    const { manager, worker } = lab!;
    const dir = project('swo', () =>
      [
        'services:',
        '  api:',
        `    image: ${IMAGE}`,
        // Healthy only after a few seconds: a dependent created before that would show in the times below.
        '    command: ["sh", "-c", "sleep 4; mkdir -p /www; echo api-answers > /www/index.html; exec httpd -f -p 8080 -h /www"]',
        '    healthcheck: {test: ["CMD", "test", "-f", "/www/index.html"], interval: 1s, timeout: 1s, retries: 60}',
        `    deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.hostname == ${manager.hostname}"]}}`,
        '  seed:',
        `    image: ${IMAGE}`,
        '    command: ["sh", "-c", "sleep 3; echo seeded"]',
        '  web:',
        `    image: ${IMAGE}`,
        '    command: ["sh", "-c", "exec httpd -f -p 8080 -h /"]',
        '    replicas: 2',
        '    depends_on: {api: {condition: service_healthy}, seed: {condition: service_completed_successfully}}',
        '    deploy: {endpoint_mode: dnsrr, placement: {max_replicas_per_node: 1}}',
        '  probe:',
        `    image: ${IMAGE}`,
        // busybox's wget -T crashes here: `timeout` bounds each try instead.
        '    command: ["sh", "-c", "for i in $$(seq 60); do if timeout 3 wget -q -O - http://api:8080/; then echo CALLED; exec sleep 600; fi; sleep 1; done; exit 1"]',
        '    depends_on: {api: {condition: service_healthy}}',
        `    deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.hostname == ${worker.hostname}"]}}`,
        '',
      ].join('\n'),
    );
    const p = nameOf(dir);
    const up = run(dir, ['up', '-d', '--progress', 'plain']);
    expect(up.stderr).toContain(`${p} is up`);
    expect(up.code).toBe(0);

    // Replicas spread: one web task on each node; api on the manager, probe on the worker.
    const ps = run(dir, ['ps', '--json']);
    expect(ps.code).toBe(0);
    const rows = JSON.parse(ps.stdout) as { name: string; service: string; node: string; state: string; health: string }[];
    const running = rows.filter((r) => r.state === 'running');
    expect(running.filter((r) => r.service === 'web').map((r) => r.node).sort()).toEqual([manager.hostname, worker.hostname].sort());
    expect(running.find((r) => r.service === 'api')).toMatchObject({ node: manager.hostname, health: 'healthy' });
    expect(running.find((r) => r.service === 'probe')).toMatchObject({ node: worker.hostname });
    expect(rows.find((r) => r.service === 'seed')).toMatchObject({ state: 'complete' });

    // The gates: web and probe were created after api's task was running (healthy), web after seed's task completed.
    const m = manager.docker;
    const created = async (svc: string) => Date.parse((await m.getService(`${p}_${svc}`).inspect()).CreatedAt as string);
    const taskTime = async (svc: string, state: string) => {
      const tasks = (await m.listTasks({ filters: { service: [`${p}_${svc}`] } })) as { Status: { State: string; Timestamp: string } }[];
      const t = tasks.find((x) => x.Status.State === state);
      if (!t) throw new Error(`${svc} has no ${state} task: ${JSON.stringify(tasks.map((x) => x.Status))}`);
      return Date.parse(t.Status.Timestamp);
    };
    const apiRunning = await taskTime('api', 'running');
    expect(await created('web')).toBeGreaterThanOrEqual(apiRunning);
    expect(await created('probe')).toBeGreaterThanOrEqual(apiRunning);
    expect(await created('web')).toBeGreaterThanOrEqual(await taskTime('seed', 'complete'));
    expect(await created('api')).toBeLessThan(apiRunning);

    // The probe on the worker reached api on the manager by its service name, over the overlay.
    const logs = run(dir, ['logs', 'probe']);
    expect(logs.stdout).toContain('api-answers');
    expect(logs.stdout).toContain('CALLED');

    // docker stack ls sees the project (com.docker.stack.namespace).
    const stacks = (await m.listServices({ filters: { label: [`com.docker.stack.namespace=${p}`] } })).map((s) => s.Spec?.Name).sort();
    expect(stacks).toEqual([`${p}_api`, `${p}_probe`, `${p}_seed`, `${p}_web`]);

    const down = run(dir, ['down']);
    expect(`exit ${down.code}: ${down.stderr}`).toMatch(/^exit 0: /);
    expect(await eventually(() => onNodes(p))).toEqual([]);
  }, 300_000);

  it('fails a service no node can take, naming it and "no suitable node"; down leaves nothing', async () => {
    const dir = project('swf', () =>
      [
        'services:',
        '  nowhere:',
        `    image: ${IMAGE}`,
        '    command: ["sleep", "600"]',
        '    deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.labels.hafen-test-none == yes"]}}',
        '',
      ].join('\n'),
    );
    const p = nameOf(dir);
    const up = run(dir, ['up', '-d', '--progress', 'plain']);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toMatch(/service nowhere: .*no suitable node/);
    expect(up.stderr).not.toMatch(/at .*\.js:\d+/); // a report, not a stack trace
    const down = run(p, ['down']);
    expect(`exit ${down.code}: ${down.stderr}`).toMatch(/^exit 0: /);
    expect(await eventually(() => onNodes(p))).toEqual([]);
  }, 300_000);
});
