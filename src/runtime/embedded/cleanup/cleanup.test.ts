import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks } from '../../../testing/leaks.js';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { spawnTs } from '../../../testing/ts-child.js';
import { Ledger, processStartTime } from '../ledger/ledger.js';
import { bridgeName } from '../link-names.js';
import { processRunning, readProcStat } from '../process-info.js';
import { ledgerFile, openProjectLedger, projectDir, removeProjectDir } from '../state/project-paths.js';
import { CleanupError } from './cleanup-error.js';
import { cleanupLedger } from './cleanup-ledger.js';

let root: string;
let project: string;
const spawned: ChildProcess[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-cleanup-'));
  project = `cl${randomBytes(4).toString('hex')}`;
});

afterEach(async () => {
  for (const c of spawned.splice(0)) c.kill('SIGKILL');
  // Whatever a failed test left: the ledger knows it.
  await cleanupLedger(new Ledger(ledgerFile(root, project)), { root }).catch(() => {});
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs the creator fixture until it is ready, then SIGKILLs it; returns the pids of its sleepers. */
async function createThenKill(): Promise<number[]> {
  const creator = spawnTs(path.join(import.meta.dirname, 'fixtures/creator.ts'), [root, project], { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(creator);
  let stderr = '';
  creator.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    creator.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    creator.on('exit', (code) => reject(new Error(`creator exited with ${code}: ${stderr}`)));
  });
  creator.kill('SIGKILL');
  await new Promise((resolve) => (creator.exitCode !== null || creator.signalCode !== null ? resolve(null) : creator.once('exit', resolve)));
  return line.split(' ').slice(1).map(Number);
}

describe.skipIf(unmet(requireRoot(), requireCommand('ip')))('cleanupLedger', () => {
  it('removes everything a SIGKILLed creator left: processes, mounts, netns, veths, bridge, cgroup, folder', async () => {
    const sleepers = await createThenKill();
    const before = findLeaks(project, { root }).join('\n');
    for (const kind of ['process', 'mount', 'netns', 'link', 'cgroup']) expect(before).toContain(kind);

    const lines: string[] = [];
    const ledger = new Ledger(ledgerFile(root, project));
    const { removed } = await cleanupLedger(ledger, { root, log: (l) => lines.push(l) });

    expect(findLeaks(project, { root })).toEqual([]);
    expect(ledger.live()).toEqual([]);
    expect(removed.length).toBeGreaterThanOrEqual(12);
    expect(lines).toContain(`Removed bridge ${bridgeName(project, 'default')}`);
    // Dead: gone, or a zombie waiting for its (killed) parent's reaper.
    for (const pid of sleepers) expect(readProcStat(pid)?.state ?? 'gone').toMatch(/^(gone|Z)$/);
    expect(fs.existsSync(path.join(projectDir(root, project), 'containers', 'c1'))).toBe(false);
    removeProjectDir(root, project);
    expect(fs.existsSync(projectDir(root, project))).toBe(false);
  }, 30_000);

  it('does not kill a process whose pid now names another process (start time differs)', async () => {
    const other = spawn('sleep', ['1000'], { stdio: 'ignore' });
    spawned.push(other);
    const startTime = processStartTime(other.pid!)!;
    const ledger = openProjectLedger(root, project);
    ledger.add({ kind: 'process', pid: other.pid!, startTime: String(Number(startTime) - 1) });

    await cleanupLedger(ledger, { root });

    expect(processRunning(other.pid!, startTime)).toBe(true);
    expect(ledger.live()).toEqual([]);
  });

  it('forgets what is gone already, and reports what it must leave while removing the rest', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-outside-'));
    const inside = path.join(projectDir(root, project), 'containers', 'x');
    fs.mkdirSync(inside, { recursive: true });
    const ledger = openProjectLedger(root, project);
    ledger.addAll([
      { kind: 'dir', path: outside },
      { kind: 'dir', path: inside },
      { kind: 'mount', path: path.join(root, 'never-mounted') },
      { kind: 'veth', name: 'hv0000000000000' },
      { kind: 'bridge', name: 'hf-000000000000' },
      { kind: 'netns', path: `/run/netns/hafen.${project}.gone` },
      { kind: 'cgroup', path: `/sys/fs/cgroup/pids/hafen/${project}/gone` },
    ]);
    try {
      const err = await cleanupLedger(ledger, { root }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CleanupError);
      expect((err as CleanupError).failures).toEqual([{ resource: `dir ${outside}`, reason: `not inside HAFEN_ROOT (${root}); left alone` }]);
      expect((err as Error).message).toContain(`1 resource(s) could not be removed:\n  dir ${outside}: not inside HAFEN_ROOT`);
      expect(fs.existsSync(outside)).toBe(true);
      expect(fs.existsSync(inside)).toBe(false);
      expect(ledger.live().map((e) => e.resource)).toEqual([{ kind: 'dir', path: outside }]);
    } finally {
      ledger.remove({ kind: 'dir', path: outside });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('never deletes a folder with something still mounted below it', async () => {
    const dir = path.join(projectDir(root, project), 'containers', 'v');
    const volume = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-volume-'));
    fs.writeFileSync(path.join(volume, 'keep'), 'data');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    const ledger = openProjectLedger(root, project);
    ledger.add({ kind: 'dir', path: dir });
    spawnSyncOk('mount', ['--bind', volume, path.join(dir, 'data')]);
    try {
      await expect(cleanupLedger(ledger, { root })).rejects.toThrow(/still has mounts below it/);
      expect(fs.readFileSync(path.join(volume, 'keep'), 'utf8')).toBe('data');
    } finally {
      spawnSyncOk('umount', [path.join(dir, 'data')]);
      fs.rmSync(volume, { recursive: true, force: true });
    }
  });
});

function spawnSyncOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
