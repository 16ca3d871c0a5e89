import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroups, type CgroupLayout } from '../runtime/embedded/cgroups/detect.js';
import { requireRoot, unmet } from './requirements.js';
import { newDelegatedCgroupName, orphanedDelegatedCgroupLeaks, orphanedDelegatedCgroups, removeCgroupTree, requireCgroupDelegation } from './rootless-cgroup.js';

/** The pid of a process that has ended (and was reaped). */
const endedPid = (): number => spawnSync('true').pid!;

describe('orphanedDelegatedCgroups', () => {
  const tmps: string[] = [];
  const cgroups: string[] = [];
  afterEach(() => {
    for (const d of tmps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    for (const d of cgroups.splice(0)) removeCgroupTree(d);
  });

  it("lists a test cgroup whose maker has ended, not a running process's, nor other folders", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-rlt-orphans-'));
    tmps.push(tmp);
    const mounts = ['memory', 'pids'].map((c) => path.join(tmp, c));
    const layout = { controllers: { memory: { version: 1, mount: mounts[0] }, pids: { version: 1, mount: mounts[1] } }, v1Mounts: mounts } as unknown as CgroupLayout;
    const dead = `hafen-rlt${endedPid()}-0a1b2c3d`;
    for (const m of mounts) for (const name of [dead, newDelegatedCgroupName(), 'hafen', 'hafen-1001', 'hafen-rlt0a1b2c3d']) fs.mkdirSync(path.join(m, name), { recursive: true });
    expect(orphanedDelegatedCgroups(layout)).toEqual(mounts.map((m) => path.join(m, dead)));
  });

  it.skipIf(unmet(requireRoot(), requireCgroupDelegation()))('the leak check reports such a cgroup on this host and removes it', () => {
    const layout = detectCgroups();
    const name = `hafen-rlt${endedPid()}-${randomBytes(4).toString('hex')}`;
    const dirs = [...new Set([layout.controllers.memory!.mount, layout.controllers.pids!.mount])].map((m) => path.join(m, name));
    for (const d of dirs) {
      fs.mkdirSync(d);
      cgroups.push(d);
    }
    fs.mkdirSync(path.join(dirs[0]!, 'hafen'));
    const lines = orphanedDelegatedCgroupLeaks();
    for (const d of dirs) expect(lines).toContain(`cgroup ${d} (delegated to the rootless user by a test process that has ended)`);
    for (const d of dirs) expect(fs.existsSync(d), d).toBe(false);
  });
});
