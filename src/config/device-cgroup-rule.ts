/**
 * Compose's `device_cgroup_rules:` entries (Docker's `--device-cgroup-rule`): `TYPE MAJOR:MINOR
 * ACCESS`, e.g. `c 1:3 mr`, `b 8:* rw`, `a *:* rwm`, read as moby reads them. Each one allows
 * (never denies) on top of the runtime's default device set.
 */
import { ValueError } from './issues.js';

/** A device rule: `a` (any type), `b` (block) or `c` (char); `*` for any number; access letters of `rwm`. */
export interface DeviceCgroupRule {
  type: 'a' | 'b' | 'c';
  major: number | '*';
  minor: number | '*';
  /** Some of r (read), w (write), m (mknod), each once. */
  access: string;
}

/** The largest major or minor number a rule may name (the BPF device program compares 32-bit signed immediates). */
export const MAX_DEVICE_NUMBER = 2 ** 31 - 1;

const RULE = /^([abc]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

function deviceNumber(text: string, what: string, rule: string): number | '*' {
  if (text === '*') return '*';
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > MAX_DEVICE_NUMBER) throw new ValueError(`the ${what} number in ${JSON.stringify(rule)} is above ${MAX_DEVICE_NUMBER}`);
  return n;
}

/** Parses one rule as written; throws a ValueError saying the expected form. */
export function parseDeviceCgroupRule(text: string): DeviceCgroupRule {
  const m = RULE.exec(text);
  if (!m) throw new ValueError(`expected "TYPE MAJOR:MINOR ACCESS" (TYPE a, b or c; numbers or *; ACCESS of rwm), like "c 1:3 mr" or "a *:* rwm", got ${JSON.stringify(text)}`);
  const access = m[4]!;
  if (new Set(access).size !== access.length) throw new ValueError(`access letters repeat in ${JSON.stringify(text)}`);
  return { type: m[1] as DeviceCgroupRule['type'], major: deviceNumber(m[2]!, 'major', text), minor: deviceNumber(m[3]!, 'minor', text), access };
}

/** The rule in the devices cgroup's own syntax (`c 1:3 rwm`), as devices.allow takes it. */
export function formatDeviceCgroupRule(rule: DeviceCgroupRule): string {
  return `${rule.type} ${rule.major}:${rule.minor} ${rule.access}`;
}
