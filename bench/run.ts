/**
 * Containers through the embedded runtime, as the executor drives them (DESIGN.md, "Benchmarks"):
 *   - start to exit of `true` in a busybox image: create + start + wait + remove, 30 runs;
 *     the same with `docker run --rm` of the same rootfs (`docker import`ed) when `docker info` works;
 *   - stop of a SIGTERM-handling node server (image `host`), 10 runs;
 *   - memory with 50 running containers: this process's RSS and the launchers' (one per container).
 * Needs root and busybox-static. Run: npm run bench:run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { defaultContainerSpec } from '../src/runtime/spec-defaults.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBusyboxRootfs } from '../src/runtime/embedded/launcher/busybox-rootfs.js';
import { EmbeddedRuntime } from '../src/runtime/embedded/embedded-runtime.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { Label, type ContainerSpec } from '../src/runtime/runtime.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';

const RUNS = 30;
const PROJECT = `bench${process.pid}`;
const DOCKER_IMAGE = 'hafen-bench-busybox:latest';

interface Figures {
  median: number;
  min: number;
  max: number;
}

/** Runs `once` `runs` times after a warm-up; each run counts its whole time, or the milliseconds it returns. */
async function measure(label: string, runs: number, once: (i: number) => Promise<number | void>): Promise<Figures> {
  await once(-1); // warm up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const own = await once(i);
    ms.push(typeof own === 'number' ? own : performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const f = { median: ms[runs >> 1]!, min: ms[0]!, max: ms[runs - 1]! };
  const p = (x: number) => x.toFixed(1).padStart(7);
  console.log(`${label.padEnd(60)} median ${p(f.median)}  min ${p(f.min)}  max ${p(f.max)}  ms  (${runs} runs)`);
  return f;
}

function spec(name: string, image: string, command: string[]): ContainerSpec {
  return defaultContainerSpec(PROJECT, name, { image, command });
}

/** Resident memory of a process in KiB (VmRSS), 0 when gone. */
function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function dockerWorks(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** Imports the same busybox rootfs into Docker as DOCKER_IMAGE. */
function dockerImport(base: string): void {
  const rootfs = path.join(base, 'docker-rootfs');
  makeBusyboxRootfs(rootfs);
  const tar = path.join(base, 'busybox.tar');
  const t = spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  if (t.status !== 0) throw new Error(`tar: ${t.stderr}`);
  const r = spawnSync('docker', ['import', '--change', 'ENV PATH=/bin', tar, DOCKER_IMAGE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker import: ${r.stderr}`);
}

function dockerRun(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['run', '--rm', ...args, DOCKER_IMAGE, 'true'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-run-'));
  const root = path.join(base, 'root');
  const runtime = new EmbeddedRuntime({ root });
  try {
    const busybox = await importBusyboxImage(openStore(root));
    console.log(`containers through EmbeddedRuntime, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`);

    let n = 0;
    const hafen = await measure('hafen: create+start+wait+remove `true` (busybox)', RUNS, async () => {
      const s = spec(`true-${n++}`, busybox, ['true']);
      await runtime.createContainer(s);
      await runtime.startContainer(s.name);
      const { exitCode } = await runtime.waitContainer(s.name);
      if (exitCode !== 0) throw new Error(`true exited with ${exitCode}`);
      await runtime.removeContainer(s.name);
    });

    if (dockerWorks()) {
      dockerImport(base);
      const docker = await measure('docker run --rm `true` (same busybox rootfs)', RUNS, () => dockerRun([]));
      const dockerNoNet = await measure('docker run --rm --network none `true`', RUNS, () => dockerRun(['--network', 'none']));
      console.log(`ratio (docker / hafen, medians): ${(docker.median / hafen.median).toFixed(1)}x; with --network none: ${(dockerNoNet.median / hafen.median).toFixed(1)}x`);
      spawnSync('docker', ['rmi', DOCKER_IMAGE], { stdio: 'ignore' });
    } else {
      console.log('docker: `docker info` fails here, no comparison');
    }

    const server = ['node', '-e', "process.on('SIGTERM', () => process.exit(0)); require('http').createServer().listen(8080, () => console.log('up'))"];
    await measure('hafen: stop of a SIGTERM-handling node server (stop alone)', 10, async () => {
      const s = spec(`srv-${n++}`, 'host', server);
      await runtime.createContainer(s);
      await runtime.startContainer(s.name);
      for (let up = false; !up; ) {
        for await (const line of runtime.logs(s.name)) up ||= line.text === 'up';
        if (!up) await new Promise((r) => setTimeout(r, 10));
      }
      const t0 = performance.now();
      await runtime.stopContainer(s.name);
      const ms = performance.now() - t0;
      await runtime.removeContainer(s.name);
      return ms;
    }).catch((err: Error) => console.log(`stop benchmark failed: ${err.message}`));

    const before = rssKiB(process.pid);
    const names: string[] = [];
    for (let i = 0; i < 50; i++) {
      const s = spec(`sleep-${i}`, busybox, ['sleep', '600']);
      await runtime.createContainer(s);
      await runtime.startContainer(s.name);
      names.push(s.name);
    }
    const infos = await runtime.listContainers({ [Label.project]: PROJECT });
    const records = names.map((name) => JSON.parse(fs.readFileSync(path.join(root, 'projects', PROJECT, 'containers', name, 'container.json'), 'utf8')) as { run: { launcherPid: number } });
    const launchers = records.reduce((sum, r) => sum + rssKiB(r.run.launcherPid), 0);
    const after = rssKiB(process.pid);
    console.log(
      `hafen: 50 running containers (${infos.filter((c) => c.state === 'running').length} running): runtime process RSS ${(after / 1024).toFixed(1)} MiB ` +
        `(+${((after - before) / 1024).toFixed(1)} MiB), launchers ${(launchers / 1024).toFixed(1)} MiB in all (${(launchers / 50).toFixed(0)} KiB each)`,
    );
    const t0 = performance.now();
    await Promise.all(names.map((name) => runtime.removeContainer(name, { force: true })));
    console.log(`hafen: force-remove of 50 running containers, in parallel: ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    await runtime.cleanupProject(PROJECT);
    await runtime.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
