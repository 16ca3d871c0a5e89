/**
 * A log flood through the embedded runtime (issue 16): what the log writer costs OUTSIDE the
 * container's cgroup. The writer is the launcher's outer process (hafen-run, not in the container's
 * cgroup so an OOM kill never takes the log with it); its CPU time comes from /proc/<pid>/stat.
 *   - ~10 MB/s of 100-byte numbered lines for 5 s (a node payload on the `host` image, paced in 10 ms ticks);
 *   - the same payload unbounded (as fast as the pipe takes it) for 5 s;
 *   - `yes` (2-byte lines, the most lines per byte) for 3 s.
 * Each run checks that `logs` returns every numbered line written, in order (no rotation: json-file
 * without max-size). Prints the writer's CPU per MB and as a share of one core, medians of RUNS runs.
 * Needs root and busybox-static. Run: npm run build && node dist/bench/log-flood.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRuntime } from '../src/runtime/embedded/embedded-runtime.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { defaultContainerSpec } from '../src/runtime/spec-defaults.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';

const RUNS = Number(process.env.RUNS ?? 3);
const PROJECT = `logflood${process.pid}`;
const TICKS = 100; // USER_HZ, 100 on every Linux hafen runs on

/** The payload: numbered 100-byte lines, `rate` bytes a second (0: unbounded) for `seconds`, then idle 1.5 s. */
function floodScript(rate: number, seconds: number): string {
  return `
const fs = require('fs');
const pad = 'x'.repeat(100);
let n = 0;
const line = () => { const s = 'line ' + n++ + ' '; return s + pad.slice(s.length + 1) + '\\n'; };
const end = Date.now() + ${seconds * 1000};
function chunk(bytes) { let out = ''; while (out.length < bytes) out += line(); fs.writeSync(1, out); }
function done() { fs.writeSync(2, 'wrote ' + n + '\\n'); setTimeout(() => {}, 1500); }
if (${rate} === 0) { while (Date.now() < end) chunk(65536); done(); }
else {
  const t0 = Date.now(); let sent = 0;
  const tick = () => {
    const now = Date.now();
    if (now >= end) return done();
    const due = ((now - t0) / 1000) * ${rate};
    if (due > sent) { const b = due - sent; chunk(b); sent += b; }
    setTimeout(tick, 10);
  };
  tick();
}`;
}

/** utime + stime of a process in seconds; undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return undefined;
  }
}

interface Run {
  cpu: number;
  mb: number;
  seconds: number;
  lines: number;
  ok: boolean;
}

async function runOnce(runtime: EmbeddedRuntime, root: string, name: string, image: string, command: string[], numbered: boolean): Promise<Run> {
  const spec = defaultContainerSpec(PROJECT, name, { image, command, logging: { driver: 'json-file', options: {} } });
  await runtime.createContainer(spec);
  await runtime.startContainer(spec.name);
  const record = JSON.parse(fs.readFileSync(path.join(root, 'projects', PROJECT, 'containers', spec.name, 'container.json'), 'utf8')) as { run: { launcherPid: number } };
  const pid = record.run.launcherPid;
  const t0 = performance.now();
  let cpu = 0;
  const waited = runtime.waitContainer(spec.name);
  let over = false;
  void waited.then(() => (over = true));
  while (!over) {
    cpu = cpuSeconds(pid) ?? cpu;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t0) / 1000;
  let lines = 0;
  let expected = 0;
  let ok = true;
  let bytes = 0;
  let wrote = -1;
  for await (const line of runtime.logs(spec.name)) {
    bytes += line.text.length + 1;
    if (line.stream === 'stderr') {
      const m = /^wrote (\d+)$/.exec(line.text);
      if (m) wrote = Number(m[1]);
      continue;
    }
    lines++;
    if (numbered && !line.text.startsWith(`line ${expected++} `)) ok = false;
  }
  if (numbered && wrote !== lines) ok = false;
  await runtime.removeContainer(spec.name, { force: true });
  return { cpu, mb: bytes / 1e6, seconds, lines, ok };
}

async function bench(runtime: EmbeddedRuntime, root: string, label: string, image: string, command: string[], numbered: boolean, activeSeconds: number): Promise<void> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runOnce(runtime, root, `${label.replace(/\W+/g, '-')}-${i}`, image, command, numbered));
  const perMb = runs.map((r) => (r.cpu * 1000) / r.mb).sort((a, b) => a - b);
  const share = runs.map((r) => r.cpu / activeSeconds).sort((a, b) => a - b);
  const rate = runs.map((r) => r.mb / activeSeconds).sort((a, b) => a - b);
  const med = (xs: number[]) => xs[xs.length >> 1]!;
  console.log(
    `${label.padEnd(34)} ${med(rate).toFixed(1).padStart(6)} MB/s  writer CPU ${med(perMb).toFixed(2)} ms/MB (min ${perMb[0]!.toFixed(2)}, max ${perMb.at(-1)!.toFixed(2)})` +
      `  ${(med(share) * 100).toFixed(1)}% of a core (min ${(share[0]! * 100).toFixed(1)}, max ${(share.at(-1)! * 100).toFixed(1)})` +
      `  lines ${runs.map((r) => r.lines).join('/')} ${numbered ? (runs.every((r) => r.ok) ? 'all present, in order' : 'LOST OR OUT OF ORDER') : ''}`,
  );
  if (numbered && !runs.every((r) => r.ok)) process.exitCode = 1;
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-logflood-'));
  const root = path.join(base, 'root');
  const runtime = new EmbeddedRuntime({ root });
  try {
    const busybox = await importBusyboxImage(openStore(root));
    console.log(`log flood, writer CPU outside the container's cgroup, ${RUNS} runs each, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`);
    await bench(runtime, root, '10 MB/s of 100-byte lines, 5 s', 'host', ['node', '-e', floodScript(10_000_000, 5)], true, 5);
    await bench(runtime, root, 'unbounded 100-byte lines, 3 s', 'host', ['node', '-e', floodScript(0, 3)], true, 3);
    await bench(runtime, root, 'yes (2-byte lines), 2 s', busybox, ['timeout', '2', 'yes'], false, 2);
  } finally {
    await runtime.cleanupProject(PROJECT);
    await runtime.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
