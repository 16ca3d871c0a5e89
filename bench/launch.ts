/**
 * Container start-to-exit: `true` in a busybox rootfs through the embedded runtime's launcher
 * (launch → go → wait: spawn hafen-run, namespaces, overlay, /proc /dev /sys, pivot_root, exec,
 * exit, teardown; with and without the default seccomp filter), 30 runs each with a fresh upper dir, median/min/max in ms. Node's own spawn of
 * /bin/true is the floor. Needs root and busybox-static. Run: npm run bench:launch.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBusyboxRootfs } from '../src/runtime/embedded/launcher/busybox-rootfs.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../src/runtime/embedded/launcher/capabilities.js';
import { launch } from '../src/runtime/embedded/launcher/launch.js';
import { containerSeccompFilter } from '../src/seccomp/container-filter.js';
import type { LaunchSpec } from '../src/runtime/embedded/launcher/spec.js';

const RUNS = 30;

async function measure(label: string, once: (i: number) => Promise<void>): Promise<void> {
  await once(-1); // warm up
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await once(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(1).padStart(6);
  console.log(`${label.padEnd(44)} median ${f(ms[RUNS >> 1]!)}  min ${f(ms[0]!)}  max ${f(ms[RUNS - 1]!)}  ms`);
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-launch-'));
  try {
    const lower = path.join(base, 'lower');
    makeBusyboxRootfs(lower);
    let n = 0;
    const overlay = (volatile: boolean): LaunchSpec['rootfs'] => {
      const dir = path.join(base, `c${n++}`);
      for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
      return { kind: 'overlay', lower: [lower], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs'), volatile };
    };
    const container = async (spec: Omit<LaunchSpec, 'command'>) => {
      const c = await launch({ ...spec, env: { PATH: '/bin' }, command: ['true'] }, { stdio: 'ignore' });
      await c.go();
      const status = await c.wait();
      if (status.kind !== 'exited' || status.code !== 0) throw new Error(`true ended with ${JSON.stringify(status)}`);
    };

    console.log(`start-to-exit of \`true\`, ${RUNS} runs, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`);
    await measure('node spawn /bin/true (the floor)', () => new Promise((resolve) => spawn('/bin/true').on('close', resolve)));
    await measure('container: overlay, new netns', () => container({ rootfs: overlay(false) }));
    await measure('container: overlay (volatile), new netns', () => container({ rootfs: overlay(true) }));
    await measure('container: overlay (volatile), host net', () => container({ rootfs: overlay(true), net: 'host' }));
    await measure('container: plain dir rootfs, new netns', () => container({ rootfs: { kind: 'dir', path: lower } }));
    // The default seccomp profile as every container gets it: compiled once (cached), sent on a descriptor, installed before exec.
    const seccompFilter = containerSeccompFilter({ kind: 'default' }, DOCKER_DEFAULT_CAPABILITIES);
    await measure('container: overlay (volatile), host net, seccomp', () => container({ rootfs: overlay(true), net: 'host', ...(seccompFilter ? { seccompFilter } : {}) }));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
