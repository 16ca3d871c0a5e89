import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks } from '../../../testing/leaks.js';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { cleanupLedger } from '../cleanup/cleanup-ledger.js';
import { Ledger } from '../ledger/ledger.js';
import { createCgroup, type Cgroup } from './cgroup.js';

/** Starts `sh -c script` after it moved itself into every directory of `cgroup`. */
function spawnIn(cgroup: Cgroup, script: string): ChildProcess & { stderrText: () => string } {
  const join = cgroup.dirs.map((d) => `echo $$ > '${d}/cgroup.procs' || exit 99`).join('; ');
  const child = spawn('sh', ['-c', `${join}; ${script}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return Object.assign(child, { stderrText: () => stderr });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Polls `check` until it is true or `ms` have passed. */
async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

describe.skipIf(unmet(requireRoot()))('cgroups on this host', () => {
  let tmp: string;
  let project: string;
  let ledger: Ledger;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-cgroup-'));
    project = `cg${randomBytes(4).toString('hex')}`;
    ledger = new Ledger(path.join(tmp, 'ledger.jsonl'));
  });

  afterEach(async () => {
    await cleanupLedger(ledger, { root: tmp }).catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(findLeaks(project, { root: tmp })).toEqual([]);
  });

  it('OOM-kills a process that allocates past its memory limit, and says so', async () => {
    const cg = createCgroup(ledger, `hafen/${project}/hog`, { memory: 32 << 20 });
    expect(cg.oomKilled()).toBe(false);
    // tail keeps a line without newline in memory: 200 MB of zeros is one such line.
    const hog = spawnIn(cg, 'head -c 200m /dev/zero | tail');
    const { code } = await exited(hog);
    expect(code).toBe(128 + 9);
    expect(cg.oomKilled()).toBe(true);
    expect(cg.stats().oomKills).toBeGreaterThanOrEqual(1);
    await cg.remove();
  });

  it('holds a CPU hog at cpus 0.5 to about half a core, measured by the cgroup', async () => {
    const cg = createCgroup(ledger, `hafen/${project}/spin`, { cpus: 0.5 });
    // Two spinning processes want two cores; the quota allows half of one.
    const spin = spawnIn(cg, '(while :; do :; done) & while :; do :; done');
    expect(await eventually(() => cg.pids().length === 2)).toBe(true);
    await sleep(200);
    const cpu0 = cg.stats().cpuNs!;
    const t0 = process.hrtime.bigint();
    await sleep(1500);
    const cpu1 = cg.stats().cpuNs!;
    const wall = Number(process.hrtime.bigint() - t0);
    const share = (cpu1 - cpu0) / wall;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
    await cg.remove();
    await exited(spin);
  });

  it('stops forks past its pids limit', async () => {
    const cg = createCgroup(ledger, `hafen/${project}/forks`, { pids: 20 });
    const bomb = spawnIn(cg, 'for i in $(seq 1 60); do sleep 30 & done; wait');
    expect(await eventually(() => /fork|resource temporarily unavailable/i.test(bomb.stderrText()))).toBe(true);
    expect(cg.pids().length).toBeLessThanOrEqual(20);
    expect(cg.pids().length).toBeGreaterThanOrEqual(15);
    expect(cg.stats().pids).toBeLessThanOrEqual(20);
    await cg.remove();
    await exited(bomb);
  });

  it('reads its limits and usage back', async () => {
    const cg = createCgroup(ledger, `hafen/${project}/idle`, { memory: 32 << 20, cpus: 1, pids: 100 });
    const idle = spawnIn(cg, 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 30');
    expect(await eventually(() => cg.pids().length === 1)).toBe(true);
    expect(await eventually(() => (cg.stats().cpuNs ?? 0) > 0)).toBe(true);
    const stats = cg.stats();
    expect(stats.memoryLimit).toBe(32 << 20);
    expect(stats.memoryUsage).toBeGreaterThan(0);
    expect(stats.pids).toBe(1);
    expect(stats.oomKills).toBe(0);
    expect(cg.pids()).toEqual([idle.pid]);
    await cg.remove();
    await exited(idle);
  });

  it('removes itself with what runs in it, the empty project folder too, and tells the ledger', async () => {
    const cg = createCgroup(ledger, `hafen/${project}/gone`, { pids: 10 });
    expect(ledger.live().map((e) => e.resource)).toEqual(cg.dirs.map((d) => ({ kind: 'cgroup', path: d })));
    const sleeper = spawnIn(cg, 'sleep 100 & exec sleep 100');
    expect(await eventually(() => cg.pids().length === 2)).toBe(true);
    await cg.remove();
    expect(await exited(sleeper)).toEqual({ code: null, signal: 'SIGKILL' });
    for (const dir of cg.dirs) {
      expect(fs.existsSync(dir)).toBe(false);
      expect(fs.existsSync(path.dirname(dir))).toBe(false);
    }
    expect(ledger.live()).toEqual([]);
  });

  it('keeps the project folder while a sibling container still has its cgroup', async () => {
    const a = createCgroup(ledger, `hafen/${project}/a`);
    const b = createCgroup(ledger, `hafen/${project}/b`);
    await a.remove();
    expect(b.dirs.every((d) => fs.existsSync(d))).toBe(true);
    await b.remove();
    expect(b.dirs.some((d) => fs.existsSync(path.dirname(d)))).toBe(false);
  });

  it('takes the shared hafen folder away with the last project, and leaves it while another project has a cgroup', async () => {
    const other = `${project}x`;
    const a = createCgroup(ledger, `hafen/${project}/a`);
    const b = createCgroup(ledger, `hafen/${other}/b`);
    const parents = a.dirs.map((d) => path.dirname(path.dirname(d)));
    await a.remove();
    expect(parents.every((p) => fs.existsSync(p))).toBe(true);
    // Projects of other test runs on this host may hold the folder too; it goes only when empty.
    const othersBefore = parents.filter((p) => fs.readdirSync(p, { withFileTypes: true }).some((e) => e.isDirectory() && e.name !== other));
    await b.remove();
    for (const p of parents) if (!othersBefore.includes(p)) expect(fs.existsSync(p)).toBe(false);
    expect(findLeaks(other, { root: tmp })).toEqual([]);
  });

  it('makes its cgroup while other projects keep creating and removing the shared hafen folder', async () => {
    const probe = createCgroup(ledger, `hafen/${project}/probe`);
    const parents = probe.dirs.map((d) => path.dirname(path.dirname(d)));
    await probe.remove();
    const churn = `${project}y`;
    // A stand-in for other stacks: makes its project folder and removes it with the shared parent, as fast as it can.
    const loop = parents.map((p) => `mkdir -p ${p}/${churn} && rmdir ${p}/${churn} ${p}`).join('; ');
    // Its own process group, so the kill takes its mkdir/rmdir children too (one left running could
    // make a folder after the cleanup below).
    const racer = spawn('sh', ['-c', `while :; do ${loop}; done 2>/dev/null`], { stdio: 'ignore', detached: true });
    try {
      for (let i = 0; i < 200; i++) {
        const cg = createCgroup(ledger, `hafen/${project}/c${i % 3}`, { pids: 10 });
        expect(cg.dirs.every((d) => fs.existsSync(path.join(d, 'cgroup.procs')))).toBe(true);
        await cg.remove();
      }
    } finally {
      process.kill(-racer.pid!, 'SIGKILL');
      await exited(racer);
      await sleep(50); // the group's last child, killed too, is gone by now
      for (const p of parents) {
        for (const d of [path.join(p, churn), p]) {
          try {
            fs.rmdirSync(d);
          } catch {
            // Gone already, or another project's cgroup is in it.
          }
        }
      }
    }
  });

  it('refuses a name not of the form hafen/<project>/<container>, before touching anything', () => {
    expect(() => createCgroup(ledger, `hafen/${project}/../../x`)).toThrow(/hafen\/<project>\/<container>/);
    expect(() => createCgroup(ledger, `hafen/${project}/c`, { cpus: 0 })).toThrow(/cpus must be at least 0.01/);
    expect(ledger.live()).toEqual([]);
  });
});
