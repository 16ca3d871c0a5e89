/**
 * What starting the supervisor adds to a command (issue 16), through the built CLI, a one-service
 * busybox stack on the embedded runtime, medians of RUNS runs (each alternating, so machine noise
 * hits both sides alike):
 *   - `up -d` of a new project: the supervisor started after the checks (there is no state yet);
 *   - `up -d` of a project whose supervisor exited (idle), named with `-p` (its supervisor starts
 *     beside loading and planning) and by its folder (it starts after them): the gain of the early start;
 *   - `ps` for scale (no supervisor needed).
 * Needs root and busybox-static. Run: npm run build && node dist/bench/supervisor-start.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';

const RUNS = Number(process.env.RUNS ?? 7);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const STACK = `services:\n  web:\n    image: busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n`;

function stack(root: string, cwd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, '--progress', 'plain', ...args], { cwd, encoding: 'utf8', env: { ...process.env, HAFEN_ROOT: root, HAFEN_RUNTIME: 'embedded' } });
  if (r.status !== 0) throw new Error(`stack ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

/** Waits until the project has no supervisor socket (its supervisor exited); false after 10 s (an older build's never does). */
async function supervisorGone(root: string, project: string): Promise<boolean> {
  const socket = path.join(root, 'projects', project, 'supervisor.sock');
  for (const t0 = Date.now(); Date.now() - t0 < 10_000; ) {
    if (!fs.existsSync(socket)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function summary(label: string, xs: number[]): void {
  if (xs.length === 0) return;
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(0).padStart(6);
  console.log(`${label.padEnd(64)} median ${f(s[s.length >> 1]!)}  min ${f(s[0]!)}  max ${f(s[s.length - 1]!)} ms (${s.length} runs)`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the embedded runtime needs root');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-start-'));
  await importBusyboxImage(openStore(root));
  const fresh: number[] = [];
  const early: number[] = [];
  const late: number[] = [];
  const ps: number[] = [];
  let idleExits = true;
  try {
    for (let run = -1; run < RUNS; run++) {
      // The project is named by its folder, or with -p: the same name either way.
      const project = `benchstart${process.pid}r${run + 1}`;
      const dir = path.join(root, 'stacks', project);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'stack.yaml'), STACK);
      try {
        const t = stack(root, dir, ['up', '-d']);
        if (run >= 0) fresh.push(t);
        const t2 = stack(root, dir, ['ps']);
        if (run >= 0) ps.push(t2);
        for (const named of run % 2 === 0 ? [true, false] : [false, true]) {
          stack(root, dir, ['stop', '-t', '1']);
          const exited: boolean = idleExits && (await supervisorGone(root, project));
          idleExits = exited;
          const t3 = stack(root, dir, named ? ['-p', project, 'up', '-d'] : ['up', '-d']);
          if (run >= 0 && exited) (named ? early : late).push(t3);
        }
      } finally {
        stack(root, dir, ['down', '-t', '1']);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(`node ${process.version}`);
  summary('up -d, new project (supervisor started after the checks)', fresh);
  summary('up -d after the supervisor exited, -p NAME (started beside loading)', early);
  summary('up -d after the supervisor exited, named by its folder (after)', late);
  summary('ps', ps);
  if (early.length === 0) console.log('(the supervisor never exited after stop: a build without idle exit)');
}

await main();
