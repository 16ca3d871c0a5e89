/**
 * Rootless against root, in one run (issue 17; goal: a rootless container start within 1.5× of
 * root's). Each figure is measured for root and for the rootless test user (`hafen-rootless`,
 * src/testing/rootless-user.ts) in alternating rounds, so both see the same machine load:
 *   1. container start-to-exit through the runtime: create + start + wait + remove of `true` in a
 *      busybox image (as bench/run.ts), the rootless one inside the user's namespaces;
 *   2. the whole CLI: `stack run --rm t` of a busybox `true` (what a user waits for: Node, the
 *      file, for rootless the move into the user's namespaces, the supervisor, the container);
 *   3. `stack up -d` + `stack down` of stack.example.yaml without its published port (rootless
 *      published ports are wired by another part of issue 17), until every service is ready.
 * Medians with min–max, and the ratio rootless / root. Needs root, busybox-static, uidmap.
 * Run: npm run bench:rootless (RUNS=N for rounds of 2 and 3, START_RUNS=N for 1).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultContainerSpec } from '../src/runtime/spec-defaults.js';
import { EmbeddedRuntime } from '../src/runtime/embedded/embedded-runtime.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { rootlessUser, runAsRootlessUser } from '../src/testing/rootless-user.js';
import { allowUserNamespaceRerun } from '../src/runtime/embedded/rootless/rerun-permission.js';
import { needsUserNamespace, rerunInUserNamespace } from '../src/runtime/embedded/rootless/enter-namespace.js';
import { figures, type Figures } from './spread.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const cli = path.join(repo, 'dist/cli.js');
const RUNS = Number(process.env.RUNS ?? 5);
const START_RUNS = Number(process.env.START_RUNS ?? 20);

const fmt = (f: Figures) => `${f.median.toFixed(1).padStart(7)} ms (${f.min.toFixed(1)}–${f.max.toFixed(1)}; ${f.runs} runs)`;

function report(label: string, root: number[], rootless: number[]): void {
  const a = figures(root);
  const b = figures(rootless);
  console.log(`${label}\n  root     ${fmt(a)}\n  rootless ${fmt(b)}\n  ratio rootless/root (medians) ${(b.median / a.median).toFixed(2)}x`);
}

/**
 * Part 1, in the process that measures (root's, or the user's after its move into its namespaces):
 * prints one JSON line with the start-to-exit times of `runs` containers.
 */
async function innerStart(root: string, runs: number): Promise<void> {
  allowUserNamespaceRerun();
  if (needsUserNamespace()) await rerunInUserNamespace((line) => process.stderr.write(`${line}\n`));
  const project = `rlbench${process.pid}`;
  const runtime = new EmbeddedRuntime({ root });
  const busybox = await importBusyboxImage(openStore(root));
  const ms: number[] = [];
  try {
    for (let i = -1; i < runs; i++) {
      const spec = defaultContainerSpec(project, `t${i + 1}`, { image: busybox, command: ['true'] });
      const t0 = performance.now();
      await runtime.createContainer(spec);
      await runtime.startContainer(spec.name);
      const { exitCode } = await runtime.waitContainer(spec.name);
      if (exitCode !== 0) throw new Error(`true exited with ${exitCode}`);
      await runtime.removeContainer(spec.name);
      if (i >= 0) ms.push(performance.now() - t0); // the first is a warm-up
    }
  } finally {
    await runtime.close();
    fs.rmSync(path.join(root, 'projects', project), { recursive: true, force: true }); // its containers are removed: only its ledger is left
    try {
      fs.rmdirSync(path.join(root, 'projects')); // so the user's holder, idle now, is stopped
    } catch {
      // not empty
    }
  }
  console.log(JSON.stringify(ms));
}

/** Wall time of `argv` (ms), failing loudly. */
function timed(run: () => { status: number | null; stderr: string }, what: string): number {
  const t0 = performance.now();
  const r = run();
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return ms;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--inner-start') return innerStart(process.argv[3]!, Number(process.argv[4]));
  if (process.getuid?.() !== 0) throw new Error('bench:rootless needs root (it runs the rootless side as the test user hafen-rootless)');
  const user = rootlessUser();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-rootless-'));
  fs.chmodSync(base, 0o755);
  const rootState = path.join(base, 'root-state');
  const data = path.join(base, 'data');
  const run = path.join(base, 'run');
  const work = path.join(base, 'work');
  for (const d of [data, run, work]) fs.mkdirSync(d, { mode: 0o755 });
  // The example without its published port, beside its programs; and a one-service file for `run`.
  fs.cpSync(path.join(repo, 'examples'), path.join(work, 'examples'), { recursive: true });
  fs.writeFileSync(path.join(work, 'stack.yaml'), fs.readFileSync(path.join(repo, 'stack.example.yaml'), 'utf8').replace(/^\s*ports: \["80"\].*\n/m, ''));
  fs.writeFileSync(path.join(work, 'true.yaml'), ['name: rltrue', 'services:', '  t:', '    image: host', '    command: ["true"]', ''].join('\n'));
  for (const entry of [data, run, work, ...(fs.readdirSync(work, { recursive: true }) as string[]).map((e) => path.join(work, e))]) fs.chownSync(entry, user.uid, user.gid);
  const rootEnv = { ...process.env, HAFEN_ROOT: rootState, HAFEN_SUBNET_POOL: '10.217.0.0/16:24', NO_COLOR: '1' };
  const userEnv = { XDG_DATA_HOME: data, XDG_RUNTIME_DIR: run, HAFEN_SUBNET_POOL: '10.218.0.0/16:24', NO_COLOR: '1' };
  const asRoot = (args: string[]) => spawnSync(process.execPath, ['--', cli, ...args], { cwd: work, env: rootEnv, encoding: 'utf8', timeout: 180_000 });
  const asUser = (args: string[]) => runAsRootlessUser(process.execPath, ['--', cli, ...args], { env: userEnv, cwd: work, timeoutMs: 180_000 });
  console.log(`rootless vs root, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}; user ${user.name} (uid ${user.uid})`);
  try {
    // 1. Through the runtime: root's and the user's in turn, START_RUNS each.
    const inner = (rootless: boolean): number[] => {
      const args = [path.join(here, 'rootless.js'), '--inner-start', rootless ? path.join(data, 'hafen') : rootState, String(START_RUNS)];
      const r = rootless ? runAsRootlessUser(process.execPath, args, { env: userEnv, cwd: work, timeoutMs: 300_000 }) : spawnSync(process.execPath, args, { env: rootEnv, encoding: 'utf8', timeout: 300_000 });
      if (r.status !== 0) throw new Error(`start-to-exit (${rootless ? 'rootless' : 'root'}) failed: ${r.stderr.slice(-2000)}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[];
    };
    const startRoot = inner(false);
    const startUser = inner(true);
    report('1. container start-to-exit of `true` (busybox), create+start+wait+remove through the runtime', startRoot, startUser);

    // 2 and 3: the CLI, alternating root and rootless each round; a warm-up round first.
    const runRoot: number[] = [];
    const runUser: number[] = [];
    const upRoot: number[] = [];
    const upUser: number[] = [];
    const downRoot: number[] = [];
    const downUser: number[] = [];
    for (let i = -1; i < RUNS; i++) {
      const keep = i >= 0;
      for (const [side, exec, runs, ups, downs] of [
        ['root', asRoot, runRoot, upRoot, downRoot],
        ['rootless', asUser, runUser, upUser, downUser],
      ] as const) {
        const r = timed(() => exec(['-f', 'true.yaml', 'run', '--rm', 't']), `${side} run --rm`);
        exec(['-f', 'true.yaml', 'down']);
        const u = timed(() => exec(['up', '-d']), `${side} up -d`);
        const d = timed(() => exec(['down', '-v']), `${side} down -v`);
        if (keep) {
          runs.push(r);
          ups.push(u);
          downs.push(d);
        }
      }
    }
    report('2. `stack run --rm t` of `true` (image: host), the whole CLI', runRoot, runUser);
    report('3a. `stack up -d` of stack.example.yaml without its published port, until every service is ready', upRoot, upUser);
    report('3b. `stack down -v` of it', downRoot, downUser);
  } finally {
    asRoot(['down', '-v', '-t', '1']);
    asRoot(['-f', 'true.yaml', 'down', '-t', '1']);
    asUser(['down', '-v', '-t', '1']);
    asUser(['-f', 'true.yaml', 'down', '-t', '1']);
    // The user's holder ends with its last project; one left by a failure is ended here.
    try {
      const { pid } = JSON.parse(fs.readFileSync(path.join(run, 'hafen', 'userns.json'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGKILL');
    } catch {
      // none left
    }
    fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
