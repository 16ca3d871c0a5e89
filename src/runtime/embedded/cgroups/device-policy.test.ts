/**
 * Device rules in force on this host, through both enforcers: the v1 devices cgroup, and the
 * cgroup v2 BPF device program attached to a cgroup in the cgroup2 tree (on a hybrid host the
 * checks of both hierarchies apply, so a process in a v2 cgroup with the program and in the v1
 * root is held by the program alone). Host processes join the cgroup, make device nodes with
 * mknod and try to read them: the host's real disk among them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeviceCgroupRule } from '../../../config/device-cgroup-rule.js';
import { hostBlockDevice, hostTty } from '../../../testing/host-devices.js';
import { findLeaks } from '../../../testing/leaks.js';
import { requireRoot, unmet, type Requirement } from '../../../testing/requirements.js';
import { cleanupLedger } from '../cleanup/cleanup-ledger.js';
import { Ledger } from '../ledger/ledger.js';
import { createCgroup, type Cgroup } from './cgroup.js';
import { detectCgroups, type CgroupLayout } from './detect.js';
import { ALLOW_ALL_DEVICES, DEFAULT_DEVICE_RULES, type DeviceRule } from './device-rules.js';
import { OP, encodeProgram } from './device-program.js';
import { attachDeviceProgram } from '../native.js';

/** The layouts to test on this host: as detected, and (when the host has v1 devices and a cgroup2 mount) with devices on v2. */
function layouts(): { name: string; layout: CgroupLayout }[] {
  const detected = detectCgroups();
  const out = [{ name: `as detected (devices on v${detected.controllers.devices?.version ?? '?'})`, layout: detected }];
  if (detected.controllers.devices?.version === 1 && detected.v2Mount) {
    out.push({ name: 'devices by a BPF program in the cgroup2 tree', layout: { ...detected, controllers: { ...detected.controllers, devices: { version: 2, mount: detected.v2Mount } } } });
  }
  return out;
}

function requireDisk(): Requirement {
  return { name: 'a disk', check: () => (hostBlockDevice() ? undefined : 'no block device this process can open (/proc/partitions, /dev/loop*)') };
}

/** Runs `script` in `cgroup` (every directory joined first), stderr into stdout so lines keep their order. */
function runIn(cgroup: Cgroup, script: string): { out: string; status: number | null } {
  const join = cgroup.dirs.map((d) => `echo $$ > '${d}/cgroup.procs' || exit 99`).join('; ');
  const r = spawnSync('sh', ['-c', `exec 2>&1; ${join}; ${script}`], { encoding: 'utf8', timeout: 10_000 });
  return { out: r.stdout.trim(), status: r.status };
}

describe.skipIf(unmet(requireRoot(), requireDisk()))('device rules on this host', () => {
  let tmp: string;
  let project: string;
  let ledger: Ledger;
  const disk = hostBlockDevice()!;
  const tty = hostTty();

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-devices-'));
    project = `dv${randomBytes(4).toString('hex')}`;
    ledger = new Ledger(path.join(tmp, 'ledger.jsonl'));
  });

  afterEach(async () => {
    await cleanupLedger(ledger, { root: tmp }).catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(findLeaks(project, { root: tmp })).toEqual([]);
  });

  /** mknod of the disk and the tty in the test folder, then reads of each and of the default devices; one line each. */
  function probe(layout: CgroupLayout, devices: readonly DeviceRule[]): string[] {
    const cg = createCgroup(ledger, `hafen/${project}/c${randomBytes(2).toString('hex')}`, {}, { layout, devices });
    try {
      const script = [
        `mknod ${tmp}/disk b ${disk.major} ${disk.minor} && echo mknod-disk=ok`,
        `mknod ${tmp}/tty c ${tty.major} ${tty.minor} && echo mknod-tty=ok`,
        `head -c 1 ${tmp}/disk >/dev/null && echo disk=read`,
        `(: > ${tmp}/tty) && echo tty=open`,
        'head -c 4 /dev/zero | wc -c | sed "s/^/zero=/"',
        'head -c 4 /dev/urandom | wc -c | sed "s/^/urandom=/"',
        'echo x > /dev/null && echo null=ok',
      ].join('; ');
      return runIn(cg, script).out.split('\n').map((l) => (/not permitted/.test(l) ? 'Operation not permitted' : l.trim()));
    } finally {
      spawnSync('rm', ['-f', `${tmp}/disk`, `${tmp}/tty`]);
    }
  }

  for (const { name, layout } of layouts()) {
    describe(name, () => {
      it("lets a process make the host's disk and a tty with mknod but not open them; the default devices work", () => {
        expect(probe(layout, DEFAULT_DEVICE_RULES)).toEqual([
          'mknod-disk=ok',
          'mknod-tty=ok',
          'Operation not permitted',
          'Operation not permitted',
          'zero=4',
          'urandom=4',
          'null=ok',
        ]);
      });

      it('opens the disk once a rule allows reading it, and everything when all is allowed', () => {
        const readDisk = [...DEFAULT_DEVICE_RULES, parseDeviceCgroupRule(`b ${disk.major}:${disk.minor} r`)];
        expect(probe(layout, readDisk).slice(0, 3)).toEqual(['mknod-disk=ok', 'mknod-tty=ok', 'disk=read']);
        expect(probe(layout, [ALLOW_ALL_DEVICES]).filter((l) => l.startsWith('disk'))).toEqual(['disk=read']);
      });

      it('refuses even mknod and /dev/null when no rule allows them', () => {
        // Both mknods refused; the disk line fails on its /dev/null redirect, "tty" is a plain file
        // made by the redirect, and zero, urandom and null are refused.
        const refused = 'Operation not permitted';
        expect(probe(layout, [])).toEqual([refused, refused, refused, 'tty=open', refused, 'zero=0', refused, 'urandom=0', refused]);
      });

      it('removes its directories, the device filter with them', async () => {
        const cg = createCgroup(ledger, `hafen/${project}/gone`, {}, { layout, devices: DEFAULT_DEVICE_RULES });
        expect(cg.dirs.every((d) => fs.existsSync(d))).toBe(true);
        await cg.remove();
        expect(cg.dirs.some((d) => fs.existsSync(d))).toBe(false);
        expect(ledger.live()).toEqual([]);
      });
    });
  }

  it.skipIf(!detectCgroups().v2Mount)('says why the kernel refuses a program, naming the cgroup', () => {
    const dir = path.join(detectCgroups().v2Mount!, `hafen-test-${project}`);
    fs.mkdirSync(dir);
    try {
      // No exit at the end: the verifier refuses it and its log says so.
      const bad = encodeProgram([{ code: OP.MOV32_K, dst: 0, src: 0, off: 0, imm: 1 }]);
      expect(() => attachDeviceProgram(dir, bad)).toThrow(new RegExp(`bpf\\(BPF_PROG_LOAD\\) '${dir}: .*(exit|jmp)`));
      expect(() => attachDeviceProgram(path.join(dir, 'missing'), encodeProgram([{ code: OP.MOV32_K, dst: 0, src: 0, off: 0, imm: 1 }, { code: OP.EXIT, dst: 0, src: 0, off: 0, imm: 0 }]))).toThrow(/ENOENT.*missing/);
    } finally {
      fs.rmdirSync(dir);
    }
  });
});
