/**
 * Which devices a container may use, as an allow-list over "deny everything": Docker's default
 * set (moby's default spec plus runc's always-allowed devices), widened by `devices:` and
 * `device_cgroup_rules:`, or everything for `privileged: true`. Pure: the v1 devices cgroup writes
 * come from here, and the v2 BPF program (device-program.ts) is built from the same rules.
 */
import { formatDeviceCgroupRule, type DeviceCgroupRule } from '../../../config/device-cgroup-rule.js';
import type { CgroupWrite } from './limits.js';

/** One allow rule: type `a` (any), `b` or `c`; `*` for any major or minor; access letters of rwm. */
export type DeviceRule = DeviceCgroupRule;

const rule = (type: 'b' | 'c', major: number | '*', minor: number | '*', access = 'rwm'): DeviceRule => ({ type, major, minor, access });

/**
 * What `docker run` allows without options (as Docker 20.10 with runc writes the devices cgroup):
 * mknod of any node; null, zero, full, random, urandom, tty, console, ptmx, the pts ptys, and
 * /dev/net/tun (runc keeps it allowed for compatibility). /dev/fuse (10:229) only with `devices:`.
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  rule('c', '*', '*', 'm'),
  rule('b', '*', '*', 'm'),
  rule('c', 1, 3), // null
  rule('c', 1, 5), // zero
  rule('c', 1, 7), // full
  rule('c', 1, 8), // random
  rule('c', 1, 9), // urandom
  rule('c', 5, 0), // tty
  rule('c', 5, 1), // console
  rule('c', 5, 2), // ptmx
  rule('c', 136, '*'), // pts
  rule('c', 10, 200), // net/tun
];

/** Every device, every access: `privileged: true`. */
export const ALLOW_ALL_DEVICES: DeviceRule = { type: 'a', major: '*', minor: '*', access: 'rwm' };

/** Whether `rules` allow every device (an `a *:* rwm` among them). */
export function allowsAllDevices(rules: readonly DeviceRule[]): boolean {
  return rules.some((r) => r.type === 'a' && r.major === '*' && r.minor === '*' && r.access.length === 3);
}

const ACCESS_ORDER = 'rwm';

/**
 * The rules in the form both enforcers read alike: an `a` rule other than `a *:* rwm` becomes a `b`
 * and a `c` rule (the v1 kernel reads any `a…` line as "allow all"); rules for the same type and
 * numbers become one with the union of their access (the v1 kernel keeps one entry per device, and
 * an open needing `rw` must find both letters in one entry). Order is kept (first occurrence).
 */
export function normalizeDeviceRules(rules: readonly DeviceRule[]): DeviceRule[] {
  if (allowsAllDevices(rules)) return [ALLOW_ALL_DEVICES];
  const merged = new Map<string, DeviceRule>();
  for (const r of rules.flatMap((r) => (r.type === 'a' ? [{ ...r, type: 'c' as const }, { ...r, type: 'b' as const }] : [r]))) {
    const key = `${r.type} ${r.major}:${r.minor}`;
    const known = merged.get(key);
    const access = new Set([...(known?.access ?? ''), ...r.access]);
    merged.set(key, { ...r, access: [...ACCESS_ORDER].filter((a) => access.has(a)).join('') });
  }
  return [...merged.values()];
}

/** Whether `rules` let a process do `access` (letters of rwm) to the `type` device `major:minor`: one rule must cover it all. */
export function deviceAllowed(rules: readonly DeviceRule[], type: 'b' | 'c', major: number, minor: number, access: string): boolean {
  return normalizeDeviceRules(rules).some(
    (r) =>
      (r.type === 'a' || r.type === type) &&
      (r.major === '*' || r.major === major) &&
      (r.minor === '*' || r.minor === minor) &&
      [...access].every((a) => r.access.includes(a)),
  );
}

/** The v1 devices cgroup writes for `rules` in `dir`: deny everything, then allow each rule. */
export function deviceWrites(dir: string, rules: readonly DeviceRule[]): CgroupWrite[] {
  const normal = normalizeDeviceRules(rules);
  const writes: CgroupWrite[] = [{ dir, file: 'devices.deny', value: 'a' }];
  for (const r of normal) writes.push({ dir, file: 'devices.allow', value: r.type === 'a' ? 'a' : formatDeviceCgroupRule(r) });
  return writes;
}

