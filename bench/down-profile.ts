/**
 * Where `down` spends its time (issue 16: the five-service stack's `down` ≤ 0.10 of Compose's), as a
 * table, the way bench/up-profile.ts profiles `up`: the same health-gated chain (s1 <- s2 <- … <- s5)
 * on the embedded runtime, RUNS runs (default 5) after one warm-up, each `down` after an `up -d`.
 * Read from the `down`'s `--progress json` events (per-operation durations), its HAFEN_TRACE=1
 * spans on stderr and the supervisor's (its log, followed while `down` runs: it goes with the
 * project), medians and min–max:
 *   CLI start (Node and the bundles until the CLI's first line), loading the file, reaching the
 *   supervisor, the project's lock and the look at what exists, then the plan: the stops along the
 *   chain (each waits for the one that depends on it), the removals, the network (its bridge, its
 *   firewall rule, its subnet); then the supervisor's shutdown, the cleanup of what the ledger still
 *   names, and the exit.
 * The image is the embedded store's own busybox (no dockerd needed). BENCH_CLI=PATH profiles
 * another build's CLI; BENCH_CLI=OLD,NEW profiles both, in turn within each run (a before/after
 * under the same load), a column each, each with a code cache folder of its own.
 * Needs root and busybox-static. Run: npm run build && node dist/bench/down-profile.js
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
const PROJECT = `benchdown${process.pid}`;

/** The supervisor's spans of the network's removal (embedded runtime), by name. */
const SUPERVISOR_SPANS = ['supervisor removeNetwork', 'bridge: link del', 'bridge: firewall rule', 'network: subnet'];

/** Times one `down` by `cli`; `log` is the copy of the supervisor's log kept while it runs. */
function profileDown(cli: string, args: string[], env: Record<string, string>, log: string): RunFigures {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--progress', 'json', 'down'], { encoding: 'utf8', env: { ...process.env, ...env, HAFEN_TRACE: '1', NO_COLOR: '1' }, timeout: 180_000 });
  const end = Date.now();
  if (r.status !== 0) throw new Error(`down failed (${r.status}):\n${r.stderr}`);
  const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
  const spans = traceSpans(r.stderr);
  const span = (name: string): Span | undefined => spans.find((s) => s.name === name);
  const f: RunFigures = new Map();
  const cliStart = span('mark cli-start')?.at ?? NaN;
  const load = span('load-stack');
  const open = span('open-runtime');
  const locked = span('mark down-locked');
  const planStart = events.find((e) => e.kind === 'plan-start');
  const planDone = events.find((e) => e.kind === 'plan-done');
  f.set('total (the command, wall)', end - t0);
  f.set('Node + the CLI bundles, to its first line', cliStart);
  if (load) f.set('to the stack loaded and checked', load.at - cliStart);
  if (load && open) f.set('to the supervisor reached (open-runtime)', open.at - load.at);
  if (open && locked) f.set("the project's lock", locked.at - open.at);
  if (locked && planStart) f.set('observe + plan', planStart.time - t0 - locked.at);
  const ops = events.filter((e): e is Extract<Event, { kind: 'op-done' }> => e.kind === 'op-done');
  const starts = events.filter((e): e is Extract<Event, { kind: 'op-start' }> => e.kind === 'op-start');
  const wall = (operation: string): number => {
    const begun = starts.filter((e) => e.operation === operation).map((e) => e.time);
    const done = events.filter((e) => e.kind === 'op-done' && e.operation === operation).map((e) => e.time);
    return begun.length > 0 ? Math.max(...done) - Math.min(...begun) : NaN;
  };
  f.set('stops, first sent to last done (the chain)', wall('stop-container'));
  f.set('stops, sum of each', ops.filter((o) => o.operation === 'stop-container').reduce((a, o) => a + o.ms, 0));
  f.set('removals, first sent to last done', wall('remove-container'));
  f.set('network removal', ops.filter((o) => o.operation === 'remove-network').reduce((a, o) => a + o.ms, 0));
  // The supervisor's log is gone with the project at the end of `down`: read from the copy kept meanwhile.
  const supervisor = traceSpans(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '', SUPERVISOR_SPANS);
  for (const name of SUPERVISOR_SPANS.slice(1)) {
    const found = supervisor.filter((s) => s.name === name);
    if (found.length > 0) f.set(`  of which ${name} (supervisor)`, found.reduce((a, s) => a + s.ms, 0));
  }
  if (planStart && planDone?.kind === 'plan-done') {
    f.set('after the last stop to the plan done', planDone.time - Math.max(...events.filter((e) => e.kind === 'op-done' && e.operation === 'stop-container').map((e) => e.time)));
    f.set('the plan, wall', planDone.ms);
  }
  const shutdown = span('supervisor-shutdown');
  const cleanup = span('cleanup-project');
  if (shutdown) f.set("the supervisor's shutdown (until it closed)", shutdown.ms);
  if (cleanup) f.set('cleanup of what the ledger names', cleanup.ms);
  for (const name of ['cleanup: ledger', 'cleanup: subnets', 'cleanup: folder']) {
    const found = spans.find((s) => s.name === `${name} ${PROJECT}`);
    if (found) f.set(`  of which ${name}`, found.ms);
  }
  if (planDone) f.set('after the plan to the exit', end - planDone.time);
  for (let i = SERVICES; i >= 1; i--) {
    const op = (kind: string) => ops.find((o) => o.operation === kind && 'service' in o && o.service === `s${i}`)?.ms ?? NaN;
    f.set(`s${i}: stop`, op('stop-container'));
    f.set(`s${i}: remove`, op('remove-container'));
  }
  return f;
}

/** Follows the project's supervisor log into `copy` while `down` runs (down deletes the log with the project). */
function keepLog(log: string, copy: string): () => void {
  fs.writeFileSync(copy, '');
  const tail = spawnSync('sh', ['-c', 'tail -n0 -F "$1" >> "$2" 2>/dev/null & echo $!', 'sh', log, copy], { encoding: 'utf8' });
  const pid = Number(tail.stdout.trim());
  return () => {
    spawnSync('sleep', ['0.1']); // tail's last read
    if (pid > 0) process.kill(pid);
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the embedded runtime needs root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-down-'));
  const root = path.join(dir, 'root');
  const env = { HAFEN_ROOT: root, HAFEN_SUBNET_POOL: process.env.HAFEN_SUBNET_POOL ?? '10.232.0.0/16:24' };
  const args = ['--runtime', 'embedded', '-f', path.join(dir, 'stack.yaml'), '-p', PROJECT];
  const cli = (path: string, command: string[], extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [path, ...args, ...command], { encoding: 'utf8', env: { ...process.env, ...env, ...extra } });
  const log = path.join(root, 'projects', PROJECT, 'supervisor.log');
  const copy = path.join(dir, 'supervisor.log');
  const runs: RunFigures[][] = CLIS.map(() => []);
  try {
    fs.writeFileSync(path.join(dir, 'stack.yaml'), healthChainFile(await importBusyboxImage(openStore(root)), true));
    for (let run = -1; run < RUNS; run++) {
      CLIS.forEach((path, i) => {
        // Each build its own code caches, as one installed build has: builds sharing a cache folder
        // delete each other's caches (src/code-cache.ts), and each run would write its own again.
        const caches = { XDG_CACHE_HOME: `${dir}/cache-${i}` };
        // The supervisor traces too (its spans of the network's removal), so `up` starts it with HAFEN_TRACE=1.
        const up = cli(path, ['up', '-d'], { HAFEN_TRACE: '1', ...caches });
        if (up.status !== 0) throw new Error(`up failed (${up.status}):\n${up.stderr}`);
        const stop = keepLog(log, copy);
        let f: RunFigures;
        try {
          f = profileDown(path, args, { ...env, ...caches }, copy);
        } finally {
          stop();
        }
        if (run >= 0) runs[i]!.push(f); // the first one warms up (the code caches, the file cache)
      });
    }
  } finally {
    cli(CLIS[0]!, ['down']);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  printProfile(`down of five services gated on each other's health, embedded; ${RUNS} runs, median (min–max), ms; load ${load}; CLI ${CLIS.join(', ')}`, CLIS, runs);
}

await main();
