/**
 * `stack --runtime swarm up -d` / `down` against `docker stack deploy` / `docker stack rm` on the same
 * two-node swarm (src/testing/swarm-lab.ts), with a five-service stack whose services wait on each
 * other's health (s1 <- s2 <- … <- s5, busybox httpd with a healthcheck; dnsrr: no IPVS here):
 *   - hafen: `up -d` returns once every service converged (tasks running, healthy), in order;
 *     `down` once the tasks and networks are gone;
 *   - docker stack deploy returns before anything runs, so it is timed until every service has its
 *     tasks running (Swarm counts a task running only once healthy), polling the manager every
 *     100 ms; `docker stack rm` likewise until no task, container or network of it is left.
 * What each got right is printed beside the times: whether every dependent was created after its
 * dependency was running (the peer ignores depends_on). hafen's up is also split gate by gate (bench/swarm-gates.ts):
 * Swarm's scheduling, the healthcheck, the report to the manager, and hafen's own reaction. RUNS runs (default 3) after one warm-up,
 * medians and min–max, one machine, one run. Needs root, dockerd, docker CLI, busybox-static.
 * Run: npm run build && node dist/bench/swarm.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { startSwarmLab, type SwarmLab } from '../src/testing/swarm-lab.js';
import { SERVICES, healthChainFile } from './health-chain.js';
import { median, spread } from './spread.js';
import { gateTable, watchGates, type GateParts } from './swarm-gates.js';

const RUNS = Number(process.env.RUNS ?? 3);
const CLI = process.env.BENCH_CLI ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli.cjs');
const IMAGE = 'hafen-bench/busybox:1';

/**
 * The chain of bench/health-chain.ts on a swarm (dnsrr: no IPVS here), as hafen reads it, or as
 * docker stack deploy's schema (3.8) takes it: a version, and depends_on as a list (no conditions).
 */
function chainFile(peer: boolean): string {
  const hafen = healthChainFile(IMAGE, false).replace(/^( {2}s\d+:\n)/gm, '$1    deploy: {endpoint_mode: dnsrr}\n');
  return peer ? `version: "3.8"\n${hafen.replace(/ {4}depends_on:\n {6}(s\d+): \{condition: service_healthy\}/g, '    depends_on: [$1]')}` : hafen;
}

function run(cmd: string[], env: Record<string, string>): void {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ListedService {
  ID: string;
  CreatedAt?: string;
  Spec?: { Name?: string };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number };
}

/** Until every one of the stack's SERVICES services has all its desired tasks running. */
async function converged(m: Docker, stack: string): Promise<void> {
  for (;;) {
    const list = (await m.listServices({ filters: { label: [`com.docker.stack.namespace=${stack}`] }, status: true } as object)) as ListedService[];
    if (list.length === SERVICES && list.every((s) => (s.ServiceStatus?.DesiredTasks ?? 0) > 0 && s.ServiceStatus!.RunningTasks === s.ServiceStatus!.DesiredTasks)) return;
    await sleep(100);
  }
}

/** Until nothing of the stack is left: services, tasks' containers on every node, networks. */
async function gone(lab: SwarmLab, stack: string): Promise<void> {
  const filters = { label: [`com.docker.stack.namespace=${stack}`] };
  for (;;) {
    const left = (await lab.manager.docker.listServices({ filters })).length + (await Promise.all(lab.nodes.map(async (n) => (await n.docker.listContainers({ all: true, filters })).length + (await n.docker.listNetworks({ filters })).length))).reduce((a, b) => a + b, 0);
    if (left === 0) return;
    await sleep(100);
  }
}

/** Whether each s(i) was created after a task of s(i-1) was running (the order hafen keeps). */
async function orderKept(m: Docker, stack: string): Promise<boolean> {
  for (let i = 2; i <= SERVICES; i++) {
    const created = Date.parse(((await m.getService(`${stack}_s${i}`).inspect()) as ListedService).CreatedAt ?? '');
    const tasks = (await m.listTasks({ filters: { service: [`${stack}_s${i - 1}`] } })) as { Status: { State: string; Timestamp: string } }[];
    const runningAt = Math.min(...tasks.filter((t) => t.Status.State === 'running').map((t) => Date.parse(t.Status.Timestamp)));
    if (!(created >= runningAt)) return false;
  }
  return true;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-swarm-'));
  const lab = await startSwarmLab({ pool: Number(process.env.SWARM_POOL ?? 242) });
  const env = { DOCKER_HOST: lab.manager.host, HAFEN_ROOT: path.join(dir, 'root') };
  const m = lab.manager.docker;
  try {
    await lab.importBusybox(IMAGE);
    fs.writeFileSync(path.join(dir, 'stack.yaml'), chainFile(false));
    fs.writeFileSync(path.join(dir, 'compose.yaml'), chainFile(true));
    const hafen = (args: string[]) => [process.execPath, CLI, '--runtime', 'swarm', '-f', path.join(dir, 'stack.yaml'), '-p', 'benchsh', '--progress', 'plain', ...args];
    const tools = [
      {
        name: 'hafen --runtime swarm',
        up: async () => run(hafen(['up', '-d']), env),
        down: async () => run(hafen(['down']), env),
        order: () => orderKept(m, 'benchsh'),
      },
      {
        name: 'docker stack deploy (+ wait)',
        up: async () => (run(['docker', 'stack', 'deploy', '--resolve-image', 'never', '-c', path.join(dir, 'compose.yaml'), 'benchsd'], env), await converged(m, 'benchsd')),
        down: async () => (run(['docker', 'stack', 'rm', 'benchsd'], env), await gone(lab, 'benchsd')),
        order: () => orderKept(m, 'benchsd'),
      },
    ];
    const figures = new Map(tools.map((t) => [t.name, { up: [] as number[], down: [] as number[], order: [] as boolean[] }]));
    const time = async (fn: () => Promise<void>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    for (const t of tools) {
      await t.up(); // warm-up
      await t.down();
    }
    const gates: GateParts[][] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const t of tools) {
        const f = figures.get(t.name)!;
        const watch = t === tools[0] ? await watchGates(lab, 'benchsh', SERVICES) : undefined;
        f.up.push(await time(t.up));
        if (watch) gates.push(await watch.stop());
        f.order.push(await t.order());
        f.down.push(await time(t.down));
      }
    }
    const peer = figures.get(tools[1]!.name)!;
    console.log(`five services on a two-node swarm, each gated on the previous one's health; ${RUNS} runs, median (min–max), ms; CLI ${CLI}`);
    console.log(`${'tool'.padEnd(30)} ${'up (converged)'.padStart(22)} ${'down (all gone)'.padStart(22)}   order kept   vs docker stack (up / down)`);
    for (const [name, f] of figures) {
      const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}x`;
      console.log(`${name.padEnd(30)} ${spread(f.up).padStart(22)} ${spread(f.down).padStart(22)}   ${`${f.order.filter(Boolean).length}/${f.order.length}`.padEnd(10)}   ${ratio(f.up, peer.up)} / ${ratio(f.down, peer.down)}`);
    }
    console.log(`hafen's up, gate by gate (median of ${RUNS} runs, engine times):`);
    for (const line of gateTable(gates)) console.log(line);
  } finally {
    spawnSync('docker', ['stack', 'rm', 'benchsd'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    spawnSync(process.execPath, [CLI, '--runtime', 'swarm', '-p', 'benchsh', 'down'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    await lab.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
