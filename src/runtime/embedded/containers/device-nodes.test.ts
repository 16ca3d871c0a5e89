import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOW_ALL_DEVICES, DEFAULT_DEVICE_RULES, deviceAllowed } from '../cgroups/index.js';
import { containerDeviceRules, deviceNumbers, hostDeviceRules } from './device-nodes.js';

describe('device numbers', () => {
  it('splits st_rdev as glibc does, large numbers too', () => {
    expect(deviceNumbers(0x0103n)).toEqual({ major: 1, minor: 3 });
    expect(deviceNumbers(0xfe00n)).toEqual({ major: 254, minor: 0 });
    // Past major 4095 and minor 255 the numbers spill into the high bits (glibc's makedev).
    const makedev = (major: bigint, minor: bigint) => ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
    expect(deviceNumbers(makedev(0x1003n, 0x1245n))).toEqual({ major: 0x1003, minor: 0x1245 });
    expect(deviceNumbers(makedev(136n, 1048575n))).toEqual({ major: 136, minor: 1048575 });
  });
});

describe.skipIf(!fs.existsSync('/dev/null') || !fs.existsSync('/dev/net'))("the host's devices named by devices:", () => {
  it('gives the node of a device, through a symlink too', () => {
    expect(hostDeviceRules({ source: '/dev/null', permissions: 'rw' })).toEqual([{ type: 'c', major: 1, minor: 3, access: 'rw' }]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-devnodes-'));
    try {
      fs.symlinkSync('/dev/zero', path.join(dir, 'z'));
      expect(hostDeviceRules({ source: path.join(dir, 'z'), permissions: 'rwm' })).toEqual([{ type: 'c', major: 1, minor: 5, access: 'rwm' }]);
      fs.writeFileSync(path.join(dir, 'file'), '');
      expect(() => hostDeviceRules({ source: path.join(dir, 'file'), permissions: 'rwm' })).toThrow(/file: not a device node, nor a folder holding any/);
      expect(() => hostDeviceRules({ source: dir, permissions: 'rwm' })).toThrow(/not a device node, nor a folder holding any/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(() => hostDeviceRules({ source: '/dev/no-such-device', permissions: 'rwm' })).toThrow(/device \/dev\/no-such-device: ENOENT/);
  });

  it('gives every node under a folder, as Docker walks it', () => {
    const rules = hostDeviceRules({ source: '/dev/net', permissions: 'r' });
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.every((r) => r.access === 'r' && (r.type === 'c' || r.type === 'b'))).toBe(true);
  });
});

describe('a container’s device rules', () => {
  it("are Docker's defaults without options", () => {
    expect(containerDeviceRules({ privileged: false })).toEqual(DEFAULT_DEVICE_RULES);
  });

  it('add devices: and device_cgroup_rules:', () => {
    const rules = containerDeviceRules({ privileged: false, devices: [{ source: '/dev/null', target: '/dev/n', permissions: 'r' }], deviceCgroupRules: ['b 7:* rw', 'c 10:229 rwm'] });
    expect(deviceAllowed(rules, 'b', 7, 3, 'rw')).toBe(true);
    expect(deviceAllowed(rules, 'b', 8, 0, 'r')).toBe(false);
    expect(deviceAllowed(rules, 'c', 10, 229, 'rw')).toBe(true);
  });

  it('allow everything when privileged, whatever else is said', () => {
    expect(containerDeviceRules({ privileged: true, deviceCgroupRules: ['c 1:3 r'] })).toEqual([ALLOW_ALL_DEVICES]);
  });
});
