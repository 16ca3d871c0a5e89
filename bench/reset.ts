/**
 * Putting a stateful service back to its seeded state (issue 20), three ways, in one run, on the
 * embedded runtime: `stack reset seeded` (a fresh writable layer over the snapshot), `stack down -v &&
 * stack up -d` followed by the seed step (what suites do today), and `stack restart` (which keeps the
 * data as it is: the floor of any stop-and-start). The service holds SIZE_MB (default 100) of seeded
 * data in many files (100 KiB each), half in its root filesystem and half in a named volume; before
 * each reset a test-like change is made to it (not timed). Each round runs the three back to back, so
 * a busy machine slows all of them alike; the table gives medians with min–max over RUNS rounds
 * (default 5) and the ratio to `stack reset`. Wall times are of whole CLI processes (Node's start
 * included); "reset (inside)" is the time `stack reset` itself reports, from its first step to ready.
 * Then `env.reset()` of the library in this process (no CLI start): what a vitest `beforeEach` pays.
 * Last, when a Docker engine answers, `stack --runtime docker reset` of the same service and data on
 * it (`docker commit` and volume copies: the Docker variant, slower), in rounds of its own.
 * Needs root and busybox-static. Run: npm run bench:reset (or node dist/bench/reset.js after a build).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { up } from '../src/library/up.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage } from '../src/runtime/docker/test-images.js';

const RUNS = Number(process.env.RUNS ?? 5);
const SIZE_MB = Number(process.env.SIZE_MB ?? 100);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = process.env.CLI ? path.resolve(process.env.CLI) : path.join(repo, 'dist/cli.cjs');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (xs: number[]): string => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

/** The seed step: SIZE_MB of 100 KiB files, half under /seed (root filesystem), half under /data (the volume), made by one shell. */
function seedScript(): string {
  const files = Math.max(1, Math.round((SIZE_MB * 1024) / 100 / 2));
  return `mkdir -p /seed /data; i=0; while [ $i -lt ${files} ]; do i=$((i+1)); head -c 102400 /dev/urandom > /seed/f$i; cp /seed/f$i /data/f$i; done; sync`;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) return console.log('skipped: needs root (overlayfs, namespaces, cgroups)');
  if (spawnSync('sh', ['-c', 'command -v busybox']).status !== 0) return console.log('skipped: needs busybox-static');
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-reset-'));
  const project = `br${process.pid}`;
  const env_: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HAFEN_ROOT: path.join(dir, 'state'), HAFEN_SUBNET_POOL: process.env.HAFEN_SUBNET_POOL ?? '10.234.0.0/16:24' };
  fs.writeFileSync(
    path.join(dir, 'stack.yaml'),
    [
      'services:',
      '  db:',
      '    image: host',
      '    command: ["busybox", "sh", "-c", "trap \'exit 0\' TERM; busybox sleep 600 & wait"]',
      '    volumes: ["data:/data"]',
      'volumes:',
      '  data: {}',
      '',
    ].join('\n'),
  );
  /** Runs `stack ...args`; returns its wall time in ms and what it printed to stderr. */
  const stack = (...args: string[]): { ms: number; stderr: string } => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--', CLI, '-p', project, '--runtime', 'embedded', ...args], { cwd: dir, env: env_, encoding: 'utf8', maxBuffer: 64 << 20 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`stack ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
    return { ms, stderr: r.stderr };
  };
  const exec = (script: string) => stack('exec', '-T', 'db', 'busybox', 'sh', '-c', `export PATH=/bin:/usr/bin; ${script}`);
  const change = () => exec('echo changed > /seed/f1; rm -f /data/f2; echo new > /data/new');
  const check = () => {
    const out = spawnSync(process.execPath, ['--', CLI, '-p', project, 'exec', '-T', 'db', 'busybox', 'sh', '-c', 'busybox test -e /data/f2 && ! busybox test -e /data/new && echo seeded'], { cwd: dir, env: env_, encoding: 'utf8' });
    if (out.stdout.trim() !== 'seeded') throw new Error(`the service is not in its seeded state after a reset: ${out.stdout}${out.stderr}`);
  };
  try {
    stack('up', '-d');
    const seeded = exec(seedScript());
    stack('snapshot', 'seeded');
    console.log(`seeded ${SIZE_MB} MB in ${seeded.ms.toFixed(0)} ms; snapshot taken`);
    const times = new Map<string, number[]>([
      ['`stack reset seeded`', []],
      ['reset (inside, as `stack reset` reports)', []],
      ['`stack down -v && stack up -d` + seed', []],
      ['`stack restart` (data kept, not reset)', []],
      ['`await env.reset(\'seeded\')` (library, as in a vitest beforeEach)', []],
    ]);
    // One warm-up round of the reset (the first discards the whole seeded upper layer).
    change();
    stack('reset', 'seeded');
    for (let i = 0; i < RUNS; i++) {
      change();
      const reset = stack('reset', 'seeded');
      check();
      times.get('`stack reset seeded`')!.push(reset.ms);
      const inside = /in (\d+) ms/.exec(reset.stderr);
      if (inside) times.get('reset (inside, as `stack reset` reports)')!.push(Number(inside[1]));

      change();
      const down = stack('down', '-v', '-t', '1');
      const up = stack('up', '-d');
      const seed = exec(seedScript());
      times.get('`stack down -v && stack up -d` + seed')!.push(down.ms + up.ms + seed.ms);
      // The snapshot went with down -v: take it again (not timed) for the next round.
      stack('snapshot', 'seeded');

      change();
      times.get('`stack restart` (data kept, not reset)')!.push(stack('restart', '-t', '1').ms);
    }
    // The library in this process: what a test suite's beforeEach pays (no CLI process to start).
    const env = await up({ cwd: dir, file: 'stack.yaml', project, root: env_.HAFEN_ROOT! });
    change();
    await env.reset('seeded');
    for (let i = 0; i < RUNS; i++) {
      change();
      const t0 = performance.now();
      await env.reset('seeded');
      times.get("`await env.reset('seeded')` (library, as in a vitest beforeEach)")!.push(performance.now() - t0);
      check();
    }
    await env.down({ volumes: true });
    await dockerRounds(dir, project, times);
    const base = median(times.get('`stack reset seeded`')!);
    const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`Node ${process.version}, ${os.cpus().length} cores (load ${load}), ${RUNS} rounds, ${SIZE_MB} MB seeded, CLI ${path.relative(process.cwd(), CLI) || CLI}`);
    console.log('| what | wall: median (min–max) | × `stack reset` |');
    console.log('| --- | --- | --- |');
    for (const [name, xs] of times) if (xs.length) console.log(`| ${name} | ${fmt(xs)} | ${(median(xs) / base).toFixed(2)} |`);
  } finally {
    spawnSync(process.execPath, ['--', CLI, '-p', project, '--runtime', 'embedded', 'down', '-v', '-t', '1'], { cwd: dir, env: env_ });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The Docker runtime's reset of the same service and data (its own rounds; skipped without an engine). */
async function dockerRounds(dir: string, project: string, times: Map<string, number[]>): Promise<void> {
  const engine = new DockerRuntime().docker;
  if (!(await engine.ping().then(() => true, () => false))) return console.log('Docker rounds skipped: no engine answers');
  const image = await importBusyboxImage(engine);
  const file = path.join(dir, 'docker.yaml');
  fs.writeFileSync(file, fs.readFileSync(path.join(dir, 'stack.yaml'), 'utf8').replace('image: host', `image: ${image}`));
  const p = `${project}d`;
  const stack = (...args: string[]): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--', CLI, '-p', p, '--runtime', 'docker', '-f', file, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    if (r.status !== 0) throw new Error(`stack --runtime docker ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
    return performance.now() - t0;
  };
  const exec = (script: string) => stack('exec', '-T', 'db', 'sh', '-c', script);
  const row: number[] = [];
  try {
    stack('up', '-d');
    exec(seedScript());
    stack('snapshot', 'seeded');
    for (let i = 0; i < RUNS; i++) {
      exec('echo changed > /seed/f1; rm -f /data/f2; echo new > /data/new');
      row.push(stack('reset', 'seeded'));
    }
    times.set('`stack --runtime docker reset seeded` (docker commit + volume copies)', row);
  } finally {
    spawnSync(process.execPath, ['--', CLI, '-p', p, '--runtime', 'docker', '-f', file, 'down', '-v', '-t', '1'], { cwd: dir });
  }
}

// The library reads HAFEN_SUBNET_POOL from this process's environment.
process.env.HAFEN_SUBNET_POOL ??= '10.234.0.0/16:24';
await main();
