/**
 * The per-project supervisor of the embedded runtime (issue 16), through the built CLI:
 *   - its resident memory (VmRSS) with CONTAINERS running busybox containers in one project, read
 *     from /proc a second after `up -d` returned, median over RUNS runs;
 *   - `up -d` of that project from nothing (supervisor started with it) and `down`;
 *   - whether it is gone after `stop` (its idle exit), and how long that took.
 * HAFEN_SUPERVISOR_NODE_FLAGS (space-separated) replaces the Node flags the supervisor is spawned
 * with, to measure each. Needs root and busybox-static. Run: npm run bench:supervisor
 * (RUNS=5 CONTAINERS=50 by default).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { connectSupervisor } from '../src/supervisor/spawn.js';
import { figures } from './spread.js';

const RUNS = Number(process.env.RUNS ?? 5);
const CONTAINERS = Number(process.env.CONTAINERS ?? 50);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');

/** Resident memory of a process in KiB (VmRSS), 0 when gone. */
function rssKiB(pid: number): number {
  return memoryKiB(pid).rss;
}

/**
 * VmRSS, and of it what is the process's own (RssAnon: heap, stacks) and its proportional share
 * (Pss): most of a Node process's VmRSS is the node binary's pages, shared with every other Node
 * process (a bare `node -e` has 40 MiB VmRSS, 6 MiB of it its own).
 */
function memoryKiB(pid: number): { rss: number; anon: number; pss: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rss: field(status, 'VmRSS'), anon: field(status, 'RssAnon'), pss: field(rollup, 'Pss') };
  } catch {
    return { rss: 0, anon: 0, pss: 0 };
  }
}

/** CPU time a process used so far (user + system), in ms. */
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

function stackFile(n: number): string {
  const lines = ['services:'];
  for (let i = 1; i <= n; i++) {
    lines.push(`  s${i}:`, '    image: busybox:latest', `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`);
  }
  return `${lines.join('\n')}\n`;
}

function stack(root: string, dir: string, project: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, '-f', path.join(dir, 'stack.yaml'), '-p', project, '--progress', 'plain', ...args], {
    encoding: 'utf8',
    env: { ...process.env, HAFEN_ROOT: root, HAFEN_RUNTIME: 'embedded' },
  });
  if (r.status !== 0) throw new Error(`stack ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

function summary(label: string, xs: number[], unit: string): void {
  const { median, min, max, runs } = figures(xs);
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`${label.padEnd(58)} median ${f(median)}  min ${f(min)}  max ${f(max)} ${unit} (${runs} runs)`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the embedded runtime needs root');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-sup-'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-sup-stack-'));
  fs.writeFileSync(path.join(dir, 'stack.yaml'), stackFile(CONTAINERS));
  await importBusyboxImage(openStore(root));
  const rss: number[] = [];
  const anon: number[] = [];
  const pss: number[] = [];
  const cpu: number[] = [];
  const ups: number[] = [];
  const downs: number[] = [];
  const gone: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const project = `benchsup${process.pid}r${run}`;
      try {
        ups.push(stack(root, dir, project, ['up', '-d']));
        const client = await connectSupervisor(root, project);
        if (!client) throw new Error('no supervisor answers after up -d');
        const { pid } = await client.ping();
        await client.close();
        cpu.push(cpuMs(pid));
        await new Promise((r) => setTimeout(r, 1000));
        const m = memoryKiB(pid);
        rss.push(m.rss / 1024);
        anon.push(m.anon / 1024);
        pss.push(m.pss / 1024);
        stack(root, dir, project, ['stop', '-t', '2']);
        const t0 = performance.now();
        while (rssKiB(pid) !== 0 && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
        if (rssKiB(pid) === 0) gone.push(performance.now() - t0);
        else console.log(`run ${run}: the supervisor (pid ${pid}) still runs 10 s after stop`);
      } finally {
        downs.push(stack(root, dir, project, ['down']));
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(`supervisor flags: ${process.env.HAFEN_SUPERVISOR_NODE_FLAGS ?? '(default)'}; node ${process.version}`);
  summary(`supervisor VmRSS with ${CONTAINERS} running containers`, rss, 'MiB');
  summary('  of it RssAnon (its own: heap, stacks)', anon, 'MiB');
  summary('  Pss (its share, the node binary split)', pss, 'MiB');
  summary(`supervisor CPU time: its start and ${CONTAINERS} creates and starts`, cpu, 'ms');
  summary(`up -d of ${CONTAINERS} services (supervisor started with it)`, ups, 'ms');
  summary('down', downs, 'ms');
  if (gone.length > 0) summary('supervisor gone after `stop` returned', gone, 'ms');
}

await main();
