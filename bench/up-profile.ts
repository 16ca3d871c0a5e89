/**
 * Where `up -d` spends its time (issue 16), as a table: the five-service health-gated stack of
 * bench/compose.ts (s1 <- s2 <- … <- s5, busybox httpd, `service_healthy`, start_interval 100ms) on
 * the embedded runtime, RUNS runs (default 5) after one warm-up, each followed by `down`. Read from
 * each run's `--progress json` events (per-operation durations) and HAFEN_TRACE=1 spans (the CLI's
 * on stderr, the supervisor's in its log), medians and min–max:
 *   CLI start (Node and the bundle until the CLI's first line), loading and checking the file, the
 *   wait for the supervisor after that, observe + plan, image checks, the network, creates (all at
 *   once), then per container on the chain: start and readiness; and the exit after the plan.
 * The image is busybox from a `docker save` archive, as in bench/compose.ts (IMAGE=store: the
 * embedded store's own busybox, no dockerd needed). BENCH_CLI=PATH profiles another build's CLI;
 * BENCH_CLI=OLD,NEW both, in turn within each run (a before/after under the same load), a column each.
 * Needs root and busybox-static. Run: npm run build && node dist/bench/up-profile.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Event } from '../src/executor/events.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { SERVICES, healthChainFile } from './health-chain.js';
import { benchClis, printProfile, traceSpans, type RunFigures, type Span } from './profile-table.js';

const RUNS = Number(process.env.RUNS ?? 5);
const CLIS = benchClis();
const PROJECT = `benchprof${process.pid}`;

/** The image: `docker save` of busybox (as bench/compose.ts) or the store's own. */
async function image(dir: string, root: string): Promise<string> {
  if (process.env.IMAGE === 'store') return importBusyboxImage(openStore(root));
  const [{ DockerRuntime }, { importBusyboxImage: dockerBusybox }] = await Promise.all([
    import('../src/runtime/docker/docker-runtime.js'),
    import('../src/runtime/docker/test-images.js'),
  ]);
  const name = await dockerBusybox(new DockerRuntime().docker);
  const archive = path.join(dir, 'busybox.tar');
  const save = spawnSync('docker', ['save', '-o', archive, name], { encoding: 'utf8' });
  if (save.status !== 0) throw new Error(`docker save: ${save.stderr}`);
  return `docker-archive:${archive}`;
}

/** Span names of the CLI and the supervisor whose tails name what they worked on. */
const KNOWN = ['load-stack', 'open-runtime', 'observe', 'check-externals', 'supervisor startContainer', 'start: launching it'];

/** Times one `up -d` by `cli`. */
function profileRun(cli: string, dir: string, env: Record<string, string>, root: string): RunFigures {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, '--runtime', 'embedded', '-f', path.join(dir, 'stack.yaml'), '-p', PROJECT, '--progress', 'json', 'up', '-d'], {
    encoding: 'utf8',
    env: { ...process.env, ...env, HAFEN_TRACE: '1', NO_COLOR: '1' },
    timeout: 180_000,
  });
  const end = Date.now();
  if (r.status !== 0) throw new Error(`up failed (${r.status}):\n${r.stderr}`);
  const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
  const spans = traceSpans(r.stderr, KNOWN);
  const supervisor = traceSpans(fs.readFileSync(path.join(root, 'projects', PROJECT, 'supervisor.log'), 'utf8'), KNOWN);
  const f: RunFigures = new Map();
  const span = (name: string): Span | undefined => spans.find((s) => s.name === name);
  const cliStart = span('mark cli-start')?.at ?? NaN;
  const load = span('load-stack');
  const open = span('open-runtime');
  const planStart = events.find((e) => e.kind === 'plan-start');
  const planDone = events.find((e) => e.kind === 'plan-done');
  f.set('total (the command, wall)', end - t0);
  f.set('Node + the CLI bundle, to its first line', cliStart);
  if (load) f.set('to the stack loaded and checked', load.at - cliStart);
  if (open) f.set('waiting for the supervisor after that', open.ms);
  if (open && planStart) f.set('observe + plan', planStart.time - t0 - open.at);
  const ops = events.filter((e): e is Extract<Event, { kind: 'op-done' }> => e.kind === 'op-done');
  const sum = (kinds: string[]) => ops.filter((o) => kinds.includes(o.operation)).reduce((a, o) => a + o.ms, 0);
  f.set('image checks (pull/build/import ops)', sum(['pull-image', 'build-image', 'import-image']));
  f.set('network', sum(['create-network']));
  const creates = events.filter((e) => (e.kind === 'op-start' || e.kind === 'op-done') && e.operation === 'create-container').map((e) => e.time);
  if (creates.length > 0) f.set('create, all containers at once (first start to last done)', Math.max(...creates) - Math.min(...creates));
  f.set('start, sum over the chain', sum(['start-container']));
  f.set('readiness, sum over the chain', sum(['wait-ready']));
  if (planDone?.kind === 'plan-done') {
    f.set('the plan, wall', planDone.ms);
    f.set('after the plan to the exit', end - planDone.time);
  }
  for (let i = 1; i <= SERVICES; i++) {
    const op = (kind: string) => ops.find((o) => o.operation === kind && 'service' in o && o.service === `s${i}`)?.ms ?? NaN;
    const container = `${PROJECT}-s${i}-1`;
    f.set(`s${i}: start`, op('start-container'));
    f.set(`s${i}:   of which the launcher (supervisor)`, supervisor.find((s) => s.name === 'start: launching it' && s.detail === container)?.ms ?? NaN);
    f.set(`s${i}: ready after start`, op('wait-ready'));
    f.set(`s${i}:   probes until healthy`, events.filter((e) => e.kind === 'probe' && e.container === container).length);
  }
  return f;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the embedded runtime needs root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-profile-'));
  const root = path.join(dir, 'root');
  const env = { HAFEN_ROOT: root, HAFEN_SUBNET_POOL: process.env.HAFEN_SUBNET_POOL ?? '10.231.0.0/16:24' };
  const down = (cli: string) => {
    const r = spawnSync(process.execPath, [cli, '--runtime', 'embedded', '-f', path.join(dir, 'stack.yaml'), '-p', PROJECT, 'down'], { encoding: 'utf8', env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`down failed (${r.status}):\n${r.stderr}`);
  };
  const runs: RunFigures[][] = CLIS.map(() => []);
  try {
    fs.writeFileSync(path.join(dir, 'stack.yaml'), healthChainFile(await image(dir, root), true));
    for (let run = -1; run < RUNS; run++) {
      CLIS.forEach((cli, i) => {
        const f = profileRun(cli, dir, env, root);
        down(cli);
        if (run >= 0) runs[i]!.push(f); // the first one warms up (imports the archive)
      });
    }
  } finally {
    spawnSync(process.execPath, [CLIS[0]!, '--runtime', 'embedded', '-f', path.join(dir, 'stack.yaml'), '-p', PROJECT, 'down'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  }
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  printProfile(`up -d of five services gated on each other's health, embedded; ${RUNS} runs, median (min–max), ms; load ${load}; CLI ${CLIS.join(', ')}`, CLIS, runs);
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
