/**
 * `up -d` and `down` of many independent services (default 100, SERVICES=N) on the embedded runtime:
 * each a busybox httpd, no dependencies, no healthchecks; medians and min–max of RUNS runs (default
 * 5) after one warm-up. With PEER=1, docker-compose 1.29 on the same image runs the same file too
 * (slow: about a quarter of a second per container). BENCH_CLI=PATH times another build's
 * CLI (dist/cli.cjs, or dist/src/cli/main.js of an older checkout); BENCH_CLI=OLD,NEW both, in turn
 * within each run (a before/after under the same load, rows [1], [2]). The machine's
 * CPU time of each hafen run (CLI, supervisor and what they spawn) is reported beside the wall time
 * when the cpuacct cgroup is there. Needs root, overlayfs, busybox-static and dockerd (the image comes
 * from `docker save`). Run: npm run bench:many.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage } from '../src/runtime/docker/test-images.js';
import { benchClis } from './profile-table.js';
import { spread } from './spread.js';

const RUNS = Number(process.env.RUNS ?? 5);
const SERVICES = Number(process.env.SERVICES ?? 100);
const CLIS = benchClis(); // the bundle users run, or BENCH_CLI's
const CPUACCT = '/sys/fs/cgroup/cpuacct';

function stackFile(image: string): string {
  const lines = ['services:'];
  for (let i = 1; i <= SERVICES; i++) {
    lines.push(`  s${i}:`, `    image: ${image}`, `    command: ["sh", "-c", "mkdir -p /www; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]`);
  }
  return `${lines.join('\n')}\n`;
}

/** A cpuacct cgroup that the timed commands run in (a supervisor they start stays in it), or undefined. */
function cpuGroup(): string | undefined {
  if (!fs.existsSync(path.join(CPUACCT, 'cpuacct.usage'))) return undefined;
  const dir = path.join(CPUACCT, `hafen-bench-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const usage = (group: string | undefined): number => (group ? Number(fs.readFileSync(path.join(group, 'cpuacct.usage'), 'utf8')) / 1e6 : 0);

/** Runs `cmd`; returns wall ms and the group's CPU ms over it. */
function timed(cmd: string[], env: Record<string, string>, group?: string): { wall: number; cpu: number } {
  const before = usage(group);
  const t0 = performance.now();
  // The shell joins the group first, so everything the command starts is counted.
  const script = group ? `echo $$ > ${group}/cgroup.procs && exec "$@"` : 'exec "$@"';
  const r = spawnSync('sh', ['-c', script, 'sh', ...cmd], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return { wall: performance.now() - t0, cpu: usage(group) - before };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-many-'));
  const image = await importBusyboxImage(new DockerRuntime().docker);
  const archive = path.join(dir, 'busybox.tar');
  const save = spawnSync('docker', ['save', '-o', archive, image], { encoding: 'utf8' });
  if (save.status !== 0) throw new Error(`docker save: ${save.stderr}`);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), stackFile(`docker-archive:${archive}`));
  fs.writeFileSync(path.join(dir, 'compose.yaml'), stackFile(image));
  const group = cpuGroup();
  const env = { HAFEN_ROOT: path.join(dir, 'root'), HAFEN_SUBNET_POOL: process.env.HAFEN_SUBNET_POOL ?? '10.237.0.0/16:24' };
  const hafen = (cli: string, args: string[]) => [process.execPath, cli, '-f', path.join(dir, 'stack.yaml'), '-p', 'benchmany', '--progress', 'plain', ...args];
  const compose = (args: string[]) => ['docker-compose', '-f', path.join(dir, 'compose.yaml'), '-p', 'benchmanydc', ...args];
  const tools = [
    ...CLIS.map((cli, i) => ({ name: `hafen (embedded)${CLIS.length > 1 ? ` [${i + 1}]` : ''}`, up: hafen(cli, ['up', '-d']), down: hafen(cli, ['down']), group })),
    ...(process.env.PEER === '1' ? [{ name: 'docker-compose 1.29', up: compose(['up', '-d']), down: compose(['down']), group: undefined }] : []),
  ];
  const figures = tools.map(() => ({ up: [] as number[], down: [] as number[], upCpu: [] as number[], downCpu: [] as number[] }));
  try {
    for (const t of tools) {
      timed(t.up, env, t.group); // warm up (the archive is imported here)
      timed(t.down, env, t.group);
    }
    for (let run = 0; run < RUNS; run++) {
      tools.forEach((t, i) => {
        const up = timed(t.up, env, t.group);
        const down = timed(t.down, env, t.group);
        figures[i]!.up.push(up.wall);
        figures[i]!.upCpu.push(up.cpu);
        figures[i]!.down.push(down.wall);
        figures[i]!.downCpu.push(down.cpu);
      });
    }
  } finally {
    for (const t of tools) spawnSync(t.down[0]!, t.down.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
    if (group) fs.rmdirSync(group);
  }
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(`${SERVICES} independent services; ${RUNS} runs, median (min–max), ms; load ${load}`);
  CLIS.forEach((cli, i) => console.log(`  CLI${CLIS.length > 1 ? ` [${i + 1}]` : ''} ${cli}`));
  tools.forEach((t, i) => {
    const f = figures[i]!;
    const cpu = t.group ? `   CPU up ${spread(f.upCpu)}, down ${spread(f.downCpu)}` : '';
    console.log(`${t.name.padEnd(22)} up -d ${spread(f.up)}   down ${spread(f.down)}${cpu}`);
  });
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
