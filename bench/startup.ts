/**
 * How long a short command takes as a whole process, against bare Node (issue 16: `stack config
 * -q`, `stack ps`, `stack port` ≤ 1.5× `node -e 0`). Each round runs `node -e 0` and then each
 * command once, back to back, so a busy machine slows all of them alike; the table gives medians
 * with min–max over RUNS rounds (default 15) and the ratio of medians.
 *   - `config -q -f stack.example.yaml`: load, interpolate, validate, normalize (no runtime);
 *   - `--help`: every command built and the help printed (no stack file);
 *   - `ps` and `port` on a one-service embedded project that is up (a busybox sleep with a published
 *     port; needs root and busybox-static, else they are skipped saying why), through its supervisor.
 * The CLI is the bundled one users run (dist/cli.cjs), or CLI=path. Run: npm run bench:startup.
 * Beside wall time, the CPU time (user + system) each process took, as a mean over the rounds (from
 * /proc/self/stat's children times, in clock ticks): on a busy machine it moves far less than wall time.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.RUNS ?? 15);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = process.env.CLI ? path.resolve(process.env.CLI) : path.join(repo, 'dist/cli.cjs');

interface Case {
  name: string;
  argv: string[];
}

/** CPU time (user + system) of this process's waited-for children so far, in ms. */
function childrenCpuMs(): number {
  // Fields after the command's parenthesis: cutime and cstime are the 14th and 15th from there.
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
}

/** Clock ticks a second (USER_HZ), 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/** CPU time per case, summed over rounds. */
const cpuTotals = new Map<string, number>();

/** Wall time of one process, in ms; it must succeed. Its CPU time is added to `cpuTotals` under `name`. */
function timed(argv: string[], env: NodeJS.ProcessEnv, cwd: string, name?: string): number {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  if (name !== undefined) cpuTotals.set(name, (cpuTotals.get(name) ?? 0) + childrenCpuMs() - cpu0);
  return ms;
}

/** Why the embedded `ps`/`port` rows cannot run here, or undefined. */
function embeddedUnmet(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (spawnSync('sh', ['-c', 'command -v busybox']).status !== 0) return 'needs busybox-static';
  return undefined;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (xs: number[]): string => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

function main(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-startup-'));
  const project = `bs${process.pid}`;
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HAFEN_ROOT: path.join(dir, 'state'), HAFEN_SUBNET_POOL: process.env.HAFEN_SUBNET_POOL ?? '10.221.0.0/16:24' };
  const stack = ['--', CLI, '-p', project];
  const cases: Case[] = [
    { name: '`stack config -q` (stack.example.yaml)', argv: ['--', CLI, '-f', path.join(repo, 'stack.example.yaml'), 'config', '-q'] },
    // Every command built (no single-command shortcut): the CLI's own floor.
    { name: '`stack --help`', argv: ['--', CLI, '--help'] },
  ];
  const unmet = embeddedUnmet();
  let up = false;
  try {
    if (unmet) {
      console.log(`ps and port skipped: the embedded project ${unmet}`);
    } else {
      fs.writeFileSync(
        path.join(dir, 'stack.yaml'),
        ['services:', '  web:', '    image: host', '    command: ["busybox", "sleep", "600"]', '    ports: ["127.0.0.1::8080"]', ''].join('\n'),
      );
      up = true;
      timed([...stack, '--runtime', 'embedded', 'up', '-d'], env, dir);
      cases.push({ name: '`stack ps` (one running container)', argv: [...stack, 'ps'] }, { name: '`stack port web 8080`', argv: [...stack, 'port', 'web', '8080'] });
    }
    const bare = ['-e', '0'];
    // One warm-up round: the file cache, not the measured process, should pay for the first read.
    timed(bare, env, dir);
    for (const c of cases) timed(c.argv, env, dir);
    const times = new Map<string, number[]>([['node -e 0', []], ...cases.map((c): [string, number[]] => [c.name, []])]);
    for (let i = 0; i < RUNS; i++) {
      times.get('node -e 0')!.push(timed(bare, env, dir, 'node -e 0'));
      for (const c of cases) times.get(c.name)!.push(timed(c.argv, env, dir, c.name));
    }
    const base = median(times.get('node -e 0')!);
    const cpu = (name: string): number => cpuTotals.get(name)! / RUNS;
    const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`Node ${process.version}, ${os.cpus().length} cores (load ${load}), ${RUNS} rounds, CLI ${path.relative(process.cwd(), CLI) || CLI}`);
    console.log('| what | wall: median (min–max) | × `node -e 0` | CPU: mean | × `node -e 0` |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [name, xs] of times) console.log(`| ${name} | ${fmt(xs)} | ${(median(xs) / base).toFixed(2)} | ${cpu(name).toFixed(0)} ms | ${(cpu(name) / cpu('node -e 0')).toFixed(2)} |`);
  } finally {
    if (up) spawnSync(process.execPath, [...stack, 'down', '-v'], { cwd: dir, env });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
