/**
 * Putting a container's device rules into force on its cgroup before any process joins it: on a v1
 * devices hierarchy by writing devices.deny and devices.allow; on cgroup v2 by attaching the BPF
 * device program (device-program.ts) to the cgroup's directory. Either way the kernel checks every
 * open and mknod of a device node by the container's processes, and by an exec joining them.
 */
import path from 'node:path';
import { writeCgroupFile } from './cgroup-files.js';
import type { CgroupLayout } from './detect.js';
import { deviceProgram, encodeProgram } from './device-program.js';
import { deviceWrites, type DeviceRule } from './device-rules.js';
import { attachDeviceProgram } from '../native.js';

/** Loads and attaches encoded eBPF to a cgroup v2 directory (the native addon; injectable for tests). */
export type AttachProgram = (cgroupDir: string, insns: Buffer) => void;

/** Why this layout cannot restrict devices, or undefined when it can. */
export function unsupportedDevices(layout: CgroupLayout): string | undefined {
  if (layout.controllers.devices) return undefined;
  return 'device access cannot be restricted: this host has neither a v1 devices cgroup hierarchy nor a cgroup2 mount';
}

/** Enforces `rules` (allow rules over "deny everything") on the cgroup `name`; its directories exist and are empty. */
export function applyDeviceRules(layout: CgroupLayout, name: string, rules: readonly DeviceRule[], attach: AttachProgram = attachDeviceProgram): void {
  const where = layout.controllers.devices;
  if (!where) throw new Error(unsupportedDevices(layout));
  const dir = path.join(where.mount, name);
  if (where.version === 1) {
    for (const w of deviceWrites(dir, rules)) {
      try {
        writeCgroupFile(w.dir, w.file, w.value);
      } catch (err) {
        throw new Error(`writing "${w.value}" to ${path.join(w.dir, w.file)}: ${(err as Error).message}`, { cause: err });
      }
    }
    return;
  }
  try {
    attach(dir, encodeProgram(deviceProgram(rules)));
  } catch (err) {
    throw new Error(`attaching the device filter to ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
