/** Linux capabilities by name, and the set Docker gives a container by default. */
import { RuntimeError } from '../../../errors.js';

/** Every capability, at the index of its number (capability.h). */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Docker's default capability set (moby's oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPABILITIES: readonly Capability[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** `chown`, `CHOWN` or `CAP_CHOWN` → `CAP_CHOWN`; an unknown name is an error naming it. */
export function capabilityName(name: string): Capability {
  const upper = name.toUpperCase();
  const full = (upper.startsWith('CAP_') ? upper : `CAP_${upper}`) as Capability;
  if (!CAPABILITIES.includes(full)) throw new RuntimeError('capabilities', `unknown capability ${name}`);
  return full;
}

/** The bit mask of a set, as /proc/PID/status shows it (CapEff etc.). */
export function capabilityMask(names: readonly string[]): bigint {
  return names.reduce((mask, n) => mask | (1n << BigInt(CAPABILITIES.indexOf(capabilityName(n)))), 0n);
}

/** Docker's cap_add/cap_drop over the default set; `ALL` in either means every capability. */
export function resolveCapabilities(add: readonly string[] = [], drop: readonly string[] = []): Capability[] {
  const isAll = (n: string) => n.toUpperCase() === 'ALL';
  let set = new Set<Capability>(add.some(isAll) ? CAPABILITIES : DOCKER_DEFAULT_CAPABILITIES);
  if (drop.some(isAll)) set = new Set();
  for (const n of drop.filter((n) => !isAll(n))) set.delete(capabilityName(n));
  for (const n of add.filter((n) => !isAll(n))) set.add(capabilityName(n));
  return CAPABILITIES.filter((c) => set.has(c));
}
