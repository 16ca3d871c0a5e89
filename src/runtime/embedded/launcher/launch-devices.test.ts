/**
 * A container launched into a cgroup with device rules, and an exec joining it: root inside (with
 * CAP_MKNOD, in its own mount and cgroup namespaces) makes the host's disk with mknod and cannot
 * open it. Through the v1 devices cgroup, and through the cgroup v2 BPF program in the cgroup2
 * tree (on a hybrid host, with the v1 devices hierarchy left at the root that allows everything).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostBlockDevice } from '../../../testing/host-devices.js';
import { findLeaks } from '../../../testing/leaks.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { cleanupLedger } from '../cleanup/cleanup-ledger.js';
import { createCgroup, detectCgroups, DEFAULT_DEVICE_RULES, type CgroupLayout } from '../cgroups/index.js';
import { Ledger } from '../ledger/ledger.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { execIn, launch } from './launch.js';

const disk = hostBlockDevice();
const needs = unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), { name: 'a block device', check: () => (disk ? undefined : 'no block device root can open here') });

function layouts(): [string, CgroupLayout][] {
  const detected = detectCgroups();
  const out: [string, CgroupLayout][] = [[`devices on v${detected.controllers.devices?.version}`, detected]];
  if (detected.controllers.devices?.version === 1 && detected.v2Mount) {
    out.push(['devices by the BPF program in the cgroup2 tree', { ...detected, controllers: { ...detected.controllers, devices: { version: 2, mount: detected.v2Mount } } }]);
  }
  return out;
}

describe.skipIf(needs)('hafen-run: device rules', () => {
  let base: string;
  let project: string;
  let ledger: Ledger;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-launch-dev-'));
    makeBusyboxRootfs(path.join(base, 'lower'));
    project = `ld${randomBytes(4).toString('hex')}`;
    ledger = new Ledger(path.join(base, 'ledger.jsonl'));
  });
  afterAll(async () => {
    await cleanupLedger(ledger, { root: base }).catch(() => {});
    fs.rmSync(base, { recursive: true, force: true });
    expect(findLeaks(project, { root: base })).toEqual([]);
  });

  const PROBE = `rm -f /disk; mknod /disk b ${disk?.major} ${disk?.minor} && echo mknod=ok; head -c 1 /disk >/dev/null 2>/err && echo read=ok || sed 's/.*: //' /err; head -c 1 /dev/zero | wc -c`;

  it.each(layouts())('refuses the disk to the container and to an exec: %s', async (_name, layout) => {
    const id = randomBytes(2).toString('hex');
    const cg = createCgroup(ledger, `hafen/${project}/c${id}`, {}, { layout, devices: DEFAULT_DEVICE_RULES });
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(base, id, d), { recursive: true });
    const c = await launch(
      {
        rootfs: { kind: 'overlay', lower: [path.join(base, 'lower')], upper: path.join(base, id, 'upper'), work: path.join(base, id, 'work'), target: path.join(base, id, 'rootfs') },
        cgroups: cg.dirs,
        env: { PATH: '/bin' },
        command: ['sh', '-c', `${PROBE}; exec sleep 100`],
      },
      { stdio: 'pipe' },
    );
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await c.go();
    for (let i = 0; i < 200 && out.split('\n').length < 4; i++) await new Promise((r) => setTimeout(r, 25));
    expect(out.trim().split('\n')).toEqual(['mknod=ok', 'Operation not permitted', '1']);

    const exec = execIn(c.pid, { command: ['sh', '-c', PROBE], env: { PATH: '/bin' }, cgroups: cg.dirs }, { stdio: 'pipe' });
    let execOut = '';
    exec.stdout?.on('data', (b: Buffer) => (execOut += b.toString()));
    await exec.wait();
    expect(execOut.trim().split('\n')).toEqual(['mknod=ok', 'Operation not permitted', '1']);

    c.kill('SIGKILL');
    await c.wait();
    await cg.remove();
    expect(cg.exists()).toBe(false);
  });
});
