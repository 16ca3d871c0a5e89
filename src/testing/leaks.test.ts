import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks } from './leaks.js';

describe('findLeaks: cgroup folders', () => {
  let tmp: string;
  let mounts: string[];
  // Unique: the rest of findLeaks looks at the real system, where a test may run a project `shop`.
  const project = `lk${randomBytes(4).toString('hex')}`;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-leaks-'));
    mounts = ['memory', 'pids'].map((c) => path.join(tmp, c));
    for (const m of mounts) fs.mkdirSync(m);
  });

  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("reports the project's folder in each hierarchy", () => {
    fs.mkdirSync(path.join(mounts[0]!, 'hafen', project, 'db'), { recursive: true });
    expect(findLeaks(project, { root: tmp, cgroupMounts: mounts })).toEqual([`cgroup ${mounts[0]}/hafen/${project}`]);
  });

  it('reports a shared hafen folder left with no cgroup in it, files or not', () => {
    fs.mkdirSync(path.join(mounts[0]!, 'hafen'));
    fs.mkdirSync(path.join(mounts[1]!, 'hafen'));
    fs.writeFileSync(path.join(mounts[1]!, 'hafen', 'cgroup.procs'), '');
    expect(findLeaks(project, { root: tmp, cgroupMounts: mounts })).toEqual([
      `cgroup ${mounts[0]}/hafen (empty shared parent)`,
      `cgroup ${mounts[1]}/hafen (empty shared parent)`,
    ]);
  });

  it('says nothing of a shared hafen folder that holds another project', () => {
    fs.mkdirSync(path.join(mounts[0]!, 'hafen', 'other'), { recursive: true });
    expect(findLeaks(project, { root: tmp, cgroupMounts: mounts })).toEqual([]);
  });
});
