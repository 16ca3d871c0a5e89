/**
 * A container's device rules from its spec: Docker's default set, plus one rule per host device
 * node that `devices:` names (a directory gives every node under it, as Docker walks it), plus the
 * `device_cgroup_rules:`; `privileged: true` allows every device.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDeviceCgroupRule } from '../../../config/device-cgroup-rule.js';
import type { ContainerSpec } from '../../runtime.js';
import { ALLOW_ALL_DEVICES, DEFAULT_DEVICE_RULES, normalizeDeviceRules, type DeviceRule } from '../cgroups/index.js';

/** Major and minor numbers of a device number (st_rdev), as glibc's major()/minor() split it. */
export function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

/** The rule for the node at `file` (symlinks followed), or undefined when it is not a device node. */
function nodeRule(file: string, access: string, follow: boolean): DeviceRule | undefined {
  const st = follow ? fs.statSync(file, { bigint: true }) : fs.lstatSync(file, { bigint: true });
  if (!st.isBlockDevice() && !st.isCharacterDevice()) return undefined;
  return { type: st.isBlockDevice() ? 'b' : 'c', ...deviceNumbers(st.rdev), access };
}

/** Every device node under `dir` (not following symlinks), depth first. */
function nodesUnder(dir: string, access: string): DeviceRule[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return nodesUnder(file, access);
    const rule = e.isBlockDevice() || e.isCharacterDevice() ? nodeRule(file, access, false) : undefined;
    return rule ? [rule] : [];
  });
}

/** The rules of one `devices:` entry; throws naming the path when it is neither a device node nor a folder holding some. */
export function hostDeviceRules(device: { source: string; permissions: string }): DeviceRule[] {
  let rules: DeviceRule[];
  try {
    const node = nodeRule(device.source, device.permissions, true);
    rules = node ? [node] : fs.statSync(device.source).isDirectory() ? nodesUnder(device.source, device.permissions) : [];
  } catch (err) {
    throw new Error(`device ${device.source}: ${(err as Error).message}`, { cause: err });
  }
  if (rules.length === 0) throw new Error(`device ${device.source}: not a device node, nor a folder holding any`);
  return rules;
}

/** The allow rules of a container (over "deny everything"), normalized. */
export function containerDeviceRules(spec: Pick<ContainerSpec, 'privileged' | 'devices' | 'deviceCgroupRules'>): DeviceRule[] {
  if (spec.privileged) return [ALLOW_ALL_DEVICES];
  return normalizeDeviceRules([
    ...DEFAULT_DEVICE_RULES,
    ...(spec.devices ?? []).flatMap(hostDeviceRules),
    ...(spec.deviceCgroupRules ?? []).map(parseDeviceCgroupRule),
  ]);
}
