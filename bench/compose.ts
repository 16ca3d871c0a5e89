/**
 * `up -d` and `down` of a five-service stack whose services wait on each other's health (s1 <- s2
 * <- … <- s5, each a busybox httpd with a healthcheck, `depends_on: service_healthy`), medians of
 * RUNS runs after one warm-up, on the same machine in one run (DESIGN.md, "Benchmarks"):
 *   - hafen on the Docker runtime (`stack --runtime docker`);
 *   - docker-compose (1.29) on the same engine and image, its `up -d` alone (it returns before the
 *     last service is healthy) and followed by a wait until that one is healthy (as hafen's `up -d` waits);
 *   - hafen on the embedded runtime, the same image loaded from a `docker save` archive.
 * The healthcheck is the same everywhere (interval 500ms); hafen's file adds `start_interval: 100ms`,
 * which Docker 20.10 cannot honour (its first probe comes after one interval), the embedded runtime does.
 * TOOLS=docker,compose,compose-wait,embedded picks some (default all); BENCH_CLI=PATH times another
 * build's CLI (dist/cli.cjs), BENCH_CLI=OLD,NEW both, in turn within each run (a before/after under
 * the same load; hafen's rows are numbered [1], [2]). Medians and min–max.
 * Needs root, dockerd, busybox-static and docker-compose. Run: npm run bench:compose.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage } from '../src/runtime/docker/test-images.js';
import { SERVICES, healthChainFile as stackFile } from './health-chain.js';
import { benchClis } from './profile-table.js';
import { median, spread } from './spread.js';

const RUNS = Number(process.env.RUNS ?? 5);
const CLIS = benchClis(); // the bundle users run, or BENCH_CLI's
const PICKED = process.env.TOOLS?.split(',');

interface Tool {
  /** As TOOLS names it. */
  key: string;
  name: string;
  up: string[];
  down: string[];
  env?: Record<string, string>;
  /** Counted as part of `up`: docker-compose 1.29's `up -d` returns before the last service is healthy, hafen's does not. */
  thenWait?: string;
}

/** Polls `docker inspect` until `container` is healthy. */
function waitHealthy(container: string): void {
  for (;;) {
    const r = spawnSync('docker', ['inspect', '-f', '{{.State.Health.Status}}', container], { encoding: 'utf8' });
    if (r.stdout.trim() === 'healthy') return;
    if (r.stdout.trim() === 'unhealthy') throw new Error(`${container} is unhealthy`);
    spawnSync('sleep', ['0.05']);
  }
}

function timed(cmd: string[], env: Record<string, string> = {}, thenWait?: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  if (thenWait) waitHealthy(thenWait);
  return performance.now() - t0;
}


async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-compose-'));
  const docker = new DockerRuntime();
  const image = await importBusyboxImage(docker.docker);
  const archive = path.join(dir, 'busybox.tar');
  const save = spawnSync('docker', ['save', '-o', archive, image], { encoding: 'utf8' });
  if (save.status !== 0) throw new Error(`docker save: ${save.stderr}`);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), stackFile(image, true));
  fs.writeFileSync(path.join(dir, 'compose.yaml'), stackFile(image, false));
  fs.writeFileSync(path.join(dir, 'embedded.yaml'), stackFile(`docker-archive:${archive}`, true));
  const root = path.join(dir, 'root');
  const stackCmd = (cli: string, runtime: string, file: string, project: string, args: string[]) => [process.execPath, cli, '--runtime', runtime, '-f', path.join(dir, file), '-p', project, '--progress', 'plain', ...args];
  /**
   * hafen's tool once per CLI, numbered when there are several, each with a code cache folder of its
   * own as one installed build has (builds sharing one delete each other's caches: src/code-cache.ts).
   */
  const perCli = (make: (cli: string, suffix: string, caches: Record<string, string>) => Tool): Tool[] =>
    CLIS.map((cli, i) => make(cli, CLIS.length > 1 ? ` [${i + 1}]` : '', { XDG_CACHE_HOME: path.join(dir, `cache-${i}`) }));
  const tools: Tool[] = [
    ...perCli((cli, n, caches) => ({ key: 'docker', name: `hafen (docker runtime)${n}`, up: stackCmd(cli, 'docker', 'stack.yaml', 'benchhd', ['up', '-d']), down: stackCmd(cli, 'docker', 'stack.yaml', 'benchhd', ['down']), env: caches })),
    { key: 'compose', name: 'docker-compose 1.29', up: ['docker-compose', '-f', path.join(dir, 'compose.yaml'), '-p', 'benchdc', 'up', '-d'], down: ['docker-compose', '-f', path.join(dir, 'compose.yaml'), '-p', 'benchdc', 'down'] },
    {
      key: 'compose-wait',
      name: 'docker-compose, s5 healthy',
      up: ['docker-compose', '-f', path.join(dir, 'compose.yaml'), '-p', 'benchdw', 'up', '-d'],
      down: ['docker-compose', '-f', path.join(dir, 'compose.yaml'), '-p', 'benchdw', 'down'],
      thenWait: `benchdw_s${SERVICES}_1`,
    },
    ...perCli((cli, n, caches) => ({
      key: 'embedded',
      name: `hafen (embedded runtime)${n}`,
      up: stackCmd(cli, 'embedded', 'embedded.yaml', 'benchhe', ['up', '-d']),
      down: stackCmd(cli, 'embedded', 'embedded.yaml', 'benchhe', ['down']),
      env: { HAFEN_ROOT: root, HAFEN_SUBNET_POOL: process.env.HAFEN_SUBNET_POOL ?? '10.238.0.0/16:24', ...caches },
    })),
  ].filter((t) => !PICKED || PICKED.includes(t.key));
  const figures = new Map(tools.map((t) => [t.name, { up: [] as number[], down: [] as number[] }]));
  try {
    for (const t of tools) {
      timed(t.up, t.env, t.thenWait); // warm up (the embedded runtime imports the archive here)
      timed(t.down, t.env);
    }
    for (let run = 0; run < RUNS; run++) {
      for (const t of tools) {
        const f = figures.get(t.name)!;
        f.up.push(timed(t.up, t.env, t.thenWait));
        f.down.push(timed(t.down, t.env));
      }
    }
  } finally {
    for (const t of tools) spawnSync(t.down[0]!, t.down.slice(1), { env: { ...process.env, ...t.env }, stdio: 'ignore' });
  }
  const compose = figures.get('docker-compose 1.29');
  const cu = compose ? median(compose.up) : NaN;
  const cd = compose ? median(compose.down) : NaN;
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(`five services, each gated on the previous one's health; ${RUNS} runs, median (min–max), ms; load ${load}`);
  CLIS.forEach((cli, i) => console.log(`  CLI${CLIS.length > 1 ? ` [${i + 1}]` : ''} ${cli}`));
  console.log(`${'tool'.padEnd(26)} ${'up -d'.padStart(18)} ${'down'.padStart(18)}   vs docker-compose (up / down / total)`);
  for (const [name, f] of figures) {
    const [u, d] = [median(f.up), median(f.down)];
    const ratio = (a: number, b: number) => (Number.isNaN(b) ? '–' : `${(a / b).toFixed(2)}x`);
    console.log(`${name.padEnd(26)} ${spread(f.up).padStart(18)} ${spread(f.down).padStart(18)}   ${ratio(u, cu)} / ${ratio(d, cd)} / ${ratio(u + d, cu + cd)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
