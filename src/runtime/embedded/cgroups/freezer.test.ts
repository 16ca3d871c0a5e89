import { spawn } from 'node:child_process';
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
import { detectCgroups } from './detect.js';
import { freeze, isFrozen, thaw } from './freezer.js';

/** A shell in `cgroup` adding a byte to `file` every 20 ms (appended: a read never sees it half-written). */
function counterIn(cgroup: Cgroup, file: string): number {
  const join = cgroup.dirs.map((d) => `echo $$ > '${d}/cgroup.procs'`).join('; ');
  const child = spawn('sh', ['-c', `${join}; while :; do printf x >> '${file}'; sleep 0.02; done`], { stdio: 'ignore', detached: true });
  child.unref();
  return child.pid!;
}

const count = (file: string): number => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;

describe.skipIf(unmet(requireRoot()))('the cgroup freezer on this host', () => {
  const layout = detectCgroups();
  let tmp: string;
  let project: string;
  let ledger: Ledger;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-freezer-'));
    project = `fz${randomBytes(4).toString('hex')}`;
    ledger = new Ledger(path.join(tmp, 'ledger.jsonl'));
  });
  afterEach(async () => {
    await cleanupLedger(ledger, { root: tmp }).catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(findLeaks(project, { root: tmp })).toEqual([]);
  });

  it('stops and resumes the processes of a cgroup', async () => {
    const name = `hafen/${project}/c`;
    const cg = createCgroup(ledger, name);
    const file = path.join(tmp, 'n');
    counterIn(cg, file);
    await sleep(200);
    await freeze(layout, name);
    expect(isFrozen(layout, name)).toBe(true);
    const frozen = count(file);
    await sleep(300);
    expect(count(file)).toBe(frozen);
    thaw(layout, name);
    expect(isFrozen(layout, name)).toBe(false);
    await sleep(300);
    expect(count(file)).toBeGreaterThan(frozen);
    await cg.remove();
  });

  it('removes a frozen cgroup (thawed so SIGKILL lands), and the ledger cleanup does too', async () => {
    for (const how of ['remove', 'ledger'] as const) {
      const name = `hafen/${project}/${how}`;
      const cg = createCgroup(ledger, name);
      const pid = counterIn(cg, path.join(tmp, how));
      await sleep(100);
      await freeze(layout, name);
      if (how === 'remove') await cg.remove({ emptyMs: 3000 });
      else await cleanupLedger(ledger, { root: tmp });
      expect(fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
      expect(cg.exists()).toBe(false);
    }
  });
});
