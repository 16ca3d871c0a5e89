/**
 * The rest of the CLI on a real two-node swarm (issue 18; src/testing/swarm-lab.ts, addresses from
 * 10.242.0.0/16): `up --scale`, `scale`, a rolling `restart`, `exec` on both nodes (the worker's
 * through a `ships:` entry; a clear line without one), `logs`/`ps`/`down` without `--runtime` (the
 * marker `up` leaves, naming the manager when DOCKER_HOST is unset; by the manager's services for
 * `-p NAME` alone), `down -v` removing the volumes on both nodes, an attached `up` that Ctrl-C
 * stops, `dash` and `up --dash` over the tasks; and a lab whose owner dies leaves no daemon, its
 * leftovers reaped by the next lab. Without a lab: a fixed host port with replicas is refused by
 * `up` on the container runtimes only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, reapOrphanedSwarmLabs, requireSwarmLab, startSwarmLab, swarmLabLeftovers, type SwarmLab } from '../src/testing/swarm-lab.js';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot, stack as cli, type CliResult } from './cli.js';

const POOL = 242;
const IMAGE = 'hafen-swarm-cli/busybox:1';
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('a fixed host port shared by replicas', () => {
  it('is refused by up on the embedded and docker runtimes (exit 2, one line at the key), and loads for config', () => {
    const dir = tmp('hafen-swarm-cli-');
    const root = tmp('hafen-swarm-cli-root-');
    try {
      fs.writeFileSync(path.join(dir, 'stack.yaml'), `name: hfport${randomBytes(3).toString('hex')}\nservices:\n  web:\n    image: busybox\n    replicas: 2\n    ports: ["18080:80"]\n`);
      const env = { HAFEN_ROOT: root };
      expect(cli(['config', '-q'], { cwd: dir, env }).code).toBe(0); // Compose accepts it too: a runtime's matter
      for (const runtime of ['embedded', 'docker']) {
        const r = cli(['--runtime', runtime, 'up', '-d'], { cwd: dir, env });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.trim().split('\n')).toEqual([
          'error: stack.yaml:6:5 services.web.ports: host port 18080 cannot be shared by 2 replicas; publish only the container port (each replica then gets a free host port), or use --runtime swarm',
        ]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(unmet(...requireSwarmLab()))('the swarm lab when its owner dies', () => {
  it('takes its daemons along (pdeathsig), and the next lab reaps what they left', async () => {
    const script = `import(${JSON.stringify(path.join(repoRoot, 'dist/src/testing/swarm-lab.js'))}).then(async ({ startSwarmLab }) => { const lab = await startSwarmLab({ pool: ${POOL} }); const pids = ['a', 'b'].map((l) => Number(require('node:fs').readFileSync(lab.dir + '/' + l + '/pid', 'utf8'))); console.log(JSON.stringify({ id: lab.id, dir: lab.dir, pids })); process.exit(0); });`;
    const r = spawnSync(process.execPath, ['--input-type=commonjs', '-e', script], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const lab = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { id: string; dir: string; pids: number[] };
    try {
      expect(lab.pids).toHaveLength(2);
      const end = Date.now() + 60_000;
      while (lab.pids.some(alive) && Date.now() < end) await new Promise((res) => setTimeout(res, 250));
      expect(lab.pids.filter(alive), 'dockerd outlived the process that started the lab').toEqual([]);
      expect(swarmLabLeftovers(lab)).not.toEqual([]); // its namespaces and folder: the reaper's work
      expect(await reapOrphanedSwarmLabs()).toContain(lab.id);
      expect(swarmLabLeftovers(lab)).toEqual([]);
    } finally {
      for (const pid of lab.pids.filter(alive)) process.kill(pid, 'SIGKILL');
      await reapOrphanedSwarmLabs();
    }
  }, 240_000);
});

describe.skipIf(unmet(...requireSwarmLab(), requireCommand('tmux')))('the CLI on a two-node swarm', () => {
  let lab: SwarmLab | undefined;
  const dirs: string[] = [];
  const projects: string[] = [];
  const root = tmp('hafen-swarm-cli-root-');

  beforeAll(async () => {
    lab = await startSwarmLab({ pool: POOL });
    await lab.importBusybox(IMAGE);
  }, 180_000);

  afterAll(async () => {
    try {
      for (const p of projects) cli(['-p', p, '--runtime', 'swarm', 'down', '-v'], { cwd: root, env: { DOCKER_HOST: lab!.manager.host, HAFEN_ROOT: root }, timeout: 120_000 });
    } finally {
      const it = lab;
      await it?.stop();
      for (const d of [...dirs, root]) fs.rmSync(d, { recursive: true, force: true });
      if (it) expect(swarmLabLeftovers(it)).toEqual([]);
    }
  }, 240_000);

  /** A project folder with `stack.yaml`; its name is unique. */
  function project(prefix: string, yaml: (p: string) => string): { dir: string; name: string } {
    const name = `${prefix}${randomBytes(3).toString('hex')}`;
    const dir = tmp('hafen-swarm-cli-');
    dirs.push(dir);
    projects.push(name);
    fs.writeFileSync(path.join(dir, 'stack.yaml'), `name: ${name}\n${yaml(name)}`);
    return { dir, name };
  }
  /** `stack ARGS` (no --runtime) in `cwd`, against the lab's manager, with the test's own state root. */
  function run(cwd: string, args: string[], env: Record<string, string> = {}): CliResult {
    return cli(args, { cwd, env: { DOCKER_HOST: lab!.manager.host, HAFEN_ROOT: root, ...env }, timeout: 240_000 });
  }
  const ok = (r: CliResult) => expect(`exit ${r.code}: ${r.stderr}`).toMatch(/^exit 0: /);

  /** A shell in a tmux session (140x40) with the lab's manager and the test's state root; `until` waits for the screen. */
  function terminal() {
    const session = `swdash${randomBytes(3).toString('hex')}`;
    const tmux = (...a: string[]) => spawnSync('tmux', a, { encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-t', session).stdout;
    const until = async (check: (x: string) => boolean, what: string) => {
      const end = Date.now() + 90_000;
      let last = '';
      while (Date.now() < end) if (check((last = screen()))) return last;
      else await new Promise((r) => setTimeout(r, 200));
      throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
    };
    tmux('new-session', '-d', '-s', session, '-x', '140', '-y', '40', 'env', '-u', 'CI', `DOCKER_HOST=${lab!.manager.host}`, `HAFEN_ROOT=${root}`, 'PS1=swdash$ ', 'TERM=xterm-256color', 'bash', '--norc', '--noprofile');
    return { session, tmux, until };
  }

  interface Task {
    ID: string;
    Slot?: number;
    NodeID: string;
    DesiredState: string;
    Status: { State: string; ContainerStatus?: { ContainerID?: string } };
  }
  async function running(service: string): Promise<Task[]> {
    const tasks = (await lab!.manager.docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as Task[];
    return tasks.filter((t) => t.Status.State === 'running');
  }
  async function nodeOf(t: Task): Promise<string> {
    const nodes = (await lab!.manager.docker.listNodes()) as { ID: string; Description: { Hostname: string } }[];
    return nodes.find((n) => n.ID === t.NodeID)!.Description.Hostname;
  }
  async function volumesOn(p: string): Promise<string[]> {
    const out: string[] = [];
    for (const n of lab!.nodes) {
      const v = (await n.docker.listVolumes({ filters: { label: [`com.docker.stack.namespace=${p}`] } })) as { Volumes?: { Name: string }[] | null };
      out.push(...(v.Volumes ?? []).map((x) => `${n.hostname}: ${x.Name}`));
    }
    return out.sort();
  }

  it('up --scale, scale, rolling restart, exec on both nodes, logs, ps and down -v without --runtime', async () => {
    const { manager, worker } = lab!;
    const { dir, name: p } = project('swc', () =>
      [
        'ships:',
        `  nodeb: {docker: "${worker.host}"}`,
        'services:',
        '  api:',
        `    image: ${IMAGE}`,
        '    command: ["sh", "-c", "echo api-log-line; hostname > /data/$$(hostname); exec sleep 1d"]',
        '    init: true',
        '    stop_grace_period: 1s',
        '    volumes: ["data:/data"]',
        '    deploy:',
        '      endpoint_mode: dnsrr',
        '      placement: {max_replicas_per_node: 1}',
        '      update_config: {parallelism: 1, order: stop-first, delay: 1s}',
        'volumes:',
        '  data: {}',
        '',
      ].join('\n'),
    );
    const svc = `${p}_api`;
    // up --scale: two tasks, one per node.
    ok(run(dir, ['--runtime', 'swarm', 'up', '-d', '--scale', 'api=2', '--progress', 'plain']));
    expect((await Promise.all((await running(svc)).map(nodeOf))).sort()).toEqual([manager.hostname, worker.hostname].sort());

    // ps without --runtime: the marker up left in the state root.
    const ps = run(dir, ['ps', '--json']);
    ok(ps);
    expect((JSON.parse(ps.stdout) as { service: string; state: string }[]).filter((r) => r.state === 'running').map((r) => r.service)).toEqual(['api', 'api']);

    // scale through the service update API: 1, then 2 again.
    ok(run(dir, ['scale', 'api=1']));
    expect(await running(svc)).toHaveLength(1);
    const scaled = run(dir, ['scale', 'api=2']);
    ok(scaled);
    expect(scaled.stderr).toContain(`${p}: api scaled to 2`);
    expect(await running(svc)).toHaveLength(2);

    // A rolling restart: every task replaced, the swarm's update completed, ForceUpdate raised.
    const before = (await running(svc)).map((t) => t.ID);
    const inspect = async () => (await manager.docker.getService(svc).inspect()) as { Spec: { TaskTemplate: { ForceUpdate?: number } }; UpdateStatus?: { State?: string } };
    const force = (await inspect()).Spec.TaskTemplate.ForceUpdate ?? 0;
    const restart = run(dir, ['restart', 'api', '--progress', 'plain']);
    ok(restart);
    expect(restart.stderr).toContain(`${p}: restarted api (rolling`);
    const after = await running(svc);
    expect(after).toHaveLength(2);
    expect(after.filter((t) => before.includes(t.ID))).toEqual([]);
    expect((await inspect()).Spec.TaskTemplate.ForceUpdate).toBe(force + 1);
    expect((await inspect()).UpdateStatus?.State).toBe('completed');

    // exec in each task, through its node's engine (the worker's through ships: nodeb).
    for (const t of after) {
      const r = run(dir, ['exec', '-T', '--index', String(t.Slot), 'api', 'hostname']);
      ok(r);
      expect(r.stdout.trim()).toBe(t.Status.ContainerStatus!.ContainerID!.slice(0, 12));
    }
    // Named alone (no file, no ships:): the manager's task answers, the worker's is named as unreachable.
    const empty = tmp('hafen-swarm-cli-');
    dirs.push(empty);
    for (const t of after) {
      const r = run(empty, ['-p', p, 'exec', '-T', '--index', String(t.Slot), 'api', 'hostname']);
      if ((await nodeOf(t)) === manager.hostname) {
        ok(r);
        expect(r.stdout.trim()).toBe(t.Status.ContainerStatus!.ContainerID!.slice(0, 12));
      } else {
        expect(r.code).not.toBe(0);
        expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: task api\\.${t.Slot}: runs on node ${worker.hostname}'s engine is not reachable from here .*ships:`))]);
      }
    }

    // logs without --runtime, and without DOCKER_HOST: the manager up used (the marker names it).
    expect(process.env.DOCKER_HOST ?? '').toBe('');
    const logs = cli(['logs', 'api'], { cwd: dir, env: { HAFEN_ROOT: root }, timeout: 120_000 });
    ok(logs);
    expect(logs.stdout).toContain('api-log-line');

    // The volume was made on both nodes; down -v (no --runtime) removes it on both, and the services.
    expect(await volumesOn(p)).toEqual([`${manager.hostname}: ${p}_data`, `${worker.hostname}: ${p}_data`]);
    const down = run(dir, ['down', '-v']);
    ok(down);
    expect(down.stderr).toMatch(new RegExp(`${p} is down: 1 service\\(s\\) removed from the swarm, 2 volume\\(s\\) removed`));
    expect(await volumesOn(p)).toEqual([]);
    expect(await manager.docker.listServices({ filters: { label: [`com.docker.stack.namespace=${p}`] } })).toEqual([]);
    expect(fs.existsSync(path.join(root, 'swarm-projects', p))).toBe(false);
  }, 600_000);

  it('finds a project named alone by the manager\'s services (no marker), and an attached up stops on Ctrl-C', async () => {
    const { dir, name: p } = project('swa', () =>
      [
        'services:',
        '  talk:',
        `    image: ${IMAGE}`,
        '    command: ["sh", "-c", "while true; do echo talking; sleep 1; done"]',
        '    init: true',
        '    stop_grace_period: 1s',
        '    deploy: {endpoint_mode: dnsrr}',
        '',
      ].join('\n'),
    );
    const svc = `${p}_talk`;
    const child = spawn(process.execPath, ['--', cliPath, '--runtime', 'swarm', 'up', '--progress', 'plain'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', DOCKER_HOST: lab!.manager.host, HAFEN_ROOT: root } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const end = Date.now() + 180_000;
      while (!/talk\s+\| talking/.test(stdout + stderr) && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 250));
      expect(stdout + stderr, stderr).toMatch(/talk\s+\| talking/);
      expect(stderr).toContain('Attached to 1 service(s) on the swarm');

      // Another state root (no marker): -p NAME alone finds it through the manager's services.
      const other = tmp('hafen-swarm-cli-root-');
      dirs.push(other);
      const empty = tmp('hafen-swarm-cli-');
      dirs.push(empty);
      const ps = run(empty, ['-p', p, 'ps', '--json'], { HAFEN_ROOT: other });
      ok(ps);
      expect((JSON.parse(ps.stdout) as { service: string; state: string }[]).map((r) => [r.service, r.state])).toEqual([['talk', 'running']]);

      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('Gracefully stopping');
      // Stopped as the other runtimes stop: no task runs, the service stays (up brings it back).
      expect(await running(svc)).toEqual([]);
      expect(((await lab!.manager.docker.getService(svc).inspect()) as { Spec: { Mode: { Replicated?: { Replicas?: number } } } }).Spec.Mode.Replicated?.Replicas).toBe(0);
      // Repeated "starting" lines are gone from the plain renderer.
      expect(stderr.split('\n').filter((l) => /^talk\s+starting$/.test(l))).toHaveLength(1);
      ok(run(dir, ['up', '-d']));
      const [task] = await running(svc);
      expect(task).toBeDefined();

      // dash (no --runtime) in a real terminal: the task's row with its node, its log; r rolls it; q quits.
      const { session, tmux, until } = terminal();
      try {
        await until((x) => x.includes('swdash$'), 'the prompt');
        tmux('send-keys', '-t', session, `cd ${dir} && clear && node ${cliPath} dash`, 'Enter');
        const node = await nodeOf(task!);
        const seen = await until((x) => /talk\s.*running/.test(x) && /talk\s*\| talking/.test(x), 'the task row and its log');
        expect(seen.split('\n')[0]).toContain(p);
        // enter: the details name the task's container and its node (the table's RUNTIME column is narrow).
        tmux('send-keys', '-t', session, 'Enter');
        await until((x) => new RegExp(`runtime\\s+${node}`).test(x) && new RegExp(`container\\s+talk\\.${task!.Slot}`).test(x), 'the details with the node');
        tmux('send-keys', '-t', session, 'Enter');
        const before = task!.ID;
        tmux('send-keys', '-t', session, 'r');
        await until((x) => x.includes('restarted talk'), 'the rolling restart');
        expect((await running(svc)).map((t) => t.ID)).not.toContain(before);
        tmux('send-keys', '-t', session, 'q');
        expect(await until((x) => x.trimEnd().endsWith('swdash$'), 'the prompt after quitting')).toContain(`${p} keeps running`);
      } finally {
        tmux('kill-session', '-t', session);
      }
      ok(run(dir, ['down']));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 400_000);

  it('up --dash draws the deploy, then the dashboard over the tasks; q leaves them running', async () => {
    const { dir, name: p } = project('swd', () => `services:\n  tick:\n    image: ${IMAGE}\n    command: ["sh", "-c", "while true; do echo ticking; sleep 1; done"]\n    init: true\n    deploy: {endpoint_mode: dnsrr}\n`);
    const { session, tmux, until } = terminal();
    try {
      await until((x) => x.includes('swdash$'), 'the prompt');
      tmux('send-keys', '-t', session, `cd ${dir} && clear && node ${cliPath} --runtime swarm up --dash`, 'Enter');
      const seen = await until((x) => /tick\s.*running/.test(x) && /tick\s*\| ticking/.test(x), 'the running view with the task and its log');
      expect(seen.split('\n')[0]).toContain(p);
      tmux('send-keys', '-t', session, 'q');
      expect(await until((x) => x.trimEnd().endsWith('swdash$'), 'the prompt after quitting')).toContain(`${p} keeps running`);
      expect(await running(`${p}_tick`)).toHaveLength(1);
    } finally {
      tmux('kill-session', '-t', session);
    }
    ok(run(dir, ['down']));
  }, 300_000);
});
