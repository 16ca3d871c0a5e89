/**
 * Real device numbers of this host, for tests that check a container cannot use a device node it
 * makes itself: a disk (or loop device) root can open here, and a serial or virtual console tty.
 */
import fs from 'node:fs';
import { deviceNumbers } from '../runtime/embedded/containers/device-nodes.js';

/** A device by type and numbers. */
export interface HostDevice {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** Where it is on the host, when known (e.g. /dev/vda). */
  path?: string;
}

/**
 * A block device of the host that this (root) process can open: the disks of /proc/partitions
 * first, then /dev/loop0…7 (some machines refuse even root an open of their own disk). Undefined
 * when there is none.
 */
export function hostBlockDevice(): HostDevice | undefined {
  const rows = fs.readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(/\s+/)[3]!);
  const candidates = [...rows.filter((name) => !/^(loop|ram|zram|sr)/.test(name)).map((name) => `/dev/${name}`), ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => `/dev/loop${n}`)];
  for (const p of candidates) {
    try {
      const st = fs.statSync(p, { bigint: true });
      if (!st.isBlockDevice()) continue;
      fs.closeSync(fs.openSync(p, 'r'));
      return { type: 'b', ...deviceNumbers(st.rdev), path: p };
    } catch {
      // Missing, or not for us to open.
    }
  }
  return undefined;
}

/** A terminal device of the host that no container is given: /dev/ttyS0 or /dev/tty1 when present, else c 4:1 (the first virtual console). */
export function hostTty(): HostDevice {
  for (const p of ['/dev/ttyS0', '/dev/tty1']) {
    try {
      const st = fs.statSync(p, { bigint: true });
      if (st.isCharacterDevice()) return { type: 'c', ...deviceNumbers(st.rdev), path: p };
    } catch {
      // Not on this host.
    }
  }
  return { type: 'c', major: 4, minor: 1 };
}
