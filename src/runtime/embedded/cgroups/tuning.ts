/**
 * Compose's cgroup keys beyond the limits (mem_swappiness, memswap_limit, cpu_shares, cpu_quota,
 * cpu_period; mem_reservation is a limit, see limits.ts) as cgroup file writes, for v1 and v2 alike. Pure: written
 * after the limits, by createCgroup.
 */
import path from 'node:path';
import type { CgroupTuning } from '../../runtime.js';
import type { CgroupLayout } from './detect.js';
import { CPU_PERIOD_US, type CgroupLimits, type CgroupWrite } from './limits.js';

/** The tuning the embedded runtime writes (the rest is refused before `up` starts anything). */
export type EmbeddedTuning = Pick<CgroupTuning, 'memSwappiness' | 'memswapLimit' | 'cpuShares' | 'cpuQuota' | 'cpuPeriod'>;

/** Why `tuning` cannot be honoured on this layout (a sentence naming the key), or undefined. */
export function unsupportedTuning(layout: CgroupLayout, tuning: EmbeddedTuning, limits: CgroupLimits): string | undefined {
  const mem = layout.controllers.memory;
  const cpu = layout.controllers.cpu;
  const memKeys = (['memSwappiness', 'memswapLimit'] as const).filter((k) => tuning[k] !== undefined);
  const cpuKeys = (['cpuShares', 'cpuQuota', 'cpuPeriod'] as const).filter((k) => tuning[k] !== undefined);
  if (memKeys.length && !mem) return `${compose(memKeys[0]!)} needs the memory cgroup controller, which this host has not mounted`;
  if (cpuKeys.length && !cpu) return `${compose(cpuKeys[0]!)} needs the cpu cgroup controller, which this host has not mounted`;
  if (tuning.memSwappiness !== undefined && mem?.version === 2) return 'mem_swappiness cannot be set on cgroup v2 (the kernel has no per-cgroup swappiness there)';
  if (tuning.memswapLimit !== undefined && limits.memory === undefined) return 'memswap_limit needs a memory limit (mem_limit or resources.memory), as in Docker';
  if (tuning.memswapLimit !== undefined && tuning.memswapLimit !== -1 && limits.memory !== undefined && tuning.memswapLimit < limits.memory) {
    return `memswap_limit (${tuning.memswapLimit}) must be at least the memory limit (${limits.memory})`;
  }
  if (tuning.cpuQuota !== undefined && limits.cpus !== undefined) return 'cpu_quota and cpus both set the CFS quota; keep one';
  if (tuning.cpuPeriod !== undefined && (tuning.cpuPeriod < 1000 || tuning.cpuPeriod > 1_000_000)) return `cpu_period must be between 1000 and 1000000 microseconds, not ${tuning.cpuPeriod}`;
  if (tuning.cpuQuota !== undefined && tuning.cpuQuota !== -1 && tuning.cpuQuota < 1000) return `cpu_quota must be at least 1000 microseconds (or -1), not ${tuning.cpuQuota}`;
  return undefined;
}

function compose(key: keyof EmbeddedTuning): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace('mem_swap_limit', 'memswap_limit');
}

/** runc's mapping of cgroup v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((Math.min(Math.max(shares, 2), 262144) - 2) * 9999) / 262142);
}

/** The writes for `tuning` on the cgroup `name`, after the limits (memsw overrides the limit's own). */
export function tuningWrites(layout: CgroupLayout, name: string, tuning: EmbeddedTuning, limits: CgroupLimits): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  const mem = layout.controllers.memory;
  const cpu = layout.controllers.cpu;
  if (mem) {
    const dir = path.join(mem.mount, name);
    if (mem.version === 1) {
      if (tuning.memSwappiness !== undefined) writes.push({ dir, file: 'memory.swappiness', value: String(tuning.memSwappiness) });
      if (tuning.memswapLimit !== undefined) writes.push({ dir, file: 'memory.memsw.limit_in_bytes', value: String(tuning.memswapLimit) });
    } else {
      if (tuning.memswapLimit !== undefined) {
        const swap = tuning.memswapLimit === -1 ? 'max' : String(tuning.memswapLimit - (limits.memory ?? 0));
        writes.push({ dir, file: 'memory.swap.max', value: swap });
      }
    }
  }
  if (cpu) {
    const dir = path.join(cpu.mount, name);
    // cpu_shares 0 means "the default weight", as in Docker.
    const shares = tuning.cpuShares ? tuning.cpuShares : undefined;
    if (cpu.version === 1) {
      if (shares !== undefined) writes.push({ dir, file: 'cpu.shares', value: String(shares) });
      if (tuning.cpuPeriod !== undefined) writes.push({ dir, file: 'cpu.cfs_period_us', value: String(tuning.cpuPeriod) });
      if (tuning.cpuQuota !== undefined) writes.push({ dir, file: 'cpu.cfs_quota_us', value: String(tuning.cpuQuota) });
    } else {
      if (shares !== undefined) writes.push({ dir, file: 'cpu.weight', value: String(sharesToWeight(shares)) });
      if (tuning.cpuQuota !== undefined || tuning.cpuPeriod !== undefined) {
        const quota = tuning.cpuQuota === undefined || tuning.cpuQuota === -1 ? 'max' : String(tuning.cpuQuota);
        writes.push({ dir, file: 'cpu.max', value: `${quota} ${tuning.cpuPeriod ?? CPU_PERIOD_US}` });
      }
    }
  }
  return writes;
}
