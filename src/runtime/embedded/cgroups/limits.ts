/**
 * Resource limits as cgroup file writes, as data: which file of which directory gets which value,
 * for v1 and v2 alike. Pure, so both versions are testable on any host.
 */
import path from 'node:path';
import type { CgroupLayout, Controller } from './detect.js';

/** A container's limits: memory in bytes, CPUs as a fraction of cores (0.5 = half a core), pids as a count. */
export interface CgroupLimits {
  memory?: number;
  cpus?: number;
  pids?: number;
  /** Soft limit in bytes (`deploy.resources.reservations.memory`): reclaimed down to under pressure, as Docker's MemoryReservation. */
  memoryReservation?: number;
}

/** One write into a cgroup file; `optional` ones are skipped where the kernel lacks the file (swap accounting). */
export interface CgroupWrite {
  dir: string;
  file: string;
  value: string;
  optional?: boolean;
}

/** The CFS period hafen uses: 100 ms, as Docker does. */
export const CPU_PERIOD_US = 100_000;

/** Which controller each limit needs. */
const NEEDS: Record<keyof CgroupLimits, Controller> = { memory: 'memory', cpus: 'cpu', pids: 'pids', memoryReservation: 'memory' };

/** Limits this layout cannot honour, named (e.g. `memory (no memory controller)`), for an error up front. */
export function unsupportedLimits(layout: CgroupLayout, limits: CgroupLimits): string[] {
  return (Object.keys(NEEDS) as (keyof CgroupLimits)[])
    .filter((k) => limits[k] !== undefined && !layout.controllers[NEEDS[k]])
    .map((k) => `${k} (the kernel has no ${NEEDS[k]} cgroup controller mounted)`);
}

/** Why a limit's value is unusable, or undefined when all are fine. */
export function invalidLimit(limits: CgroupLimits): string | undefined {
  if (limits.memory !== undefined && !(Number.isSafeInteger(limits.memory) && limits.memory > 0)) {
    return `memory must be a positive number of bytes, not ${limits.memory}`;
  }
  if (limits.cpus !== undefined && !(Number.isFinite(limits.cpus) && limits.cpus >= 0.01)) {
    return `cpus must be at least 0.01, not ${limits.cpus}`;
  }
  if (limits.pids !== undefined && !(Number.isSafeInteger(limits.pids) && limits.pids > 0)) {
    return `pids must be a positive whole number, not ${limits.pids}`;
  }
  return undefined;
}

/** The writes that set `limits` on the cgroup `name` (e.g. `hafen/shop/db`). */
export function limitWrites(layout: CgroupLayout, name: string, limits: CgroupLimits): CgroupWrite[] {
  const dirOf = (c: Controller): string | undefined => {
    const m = layout.controllers[c];
    return m && path.join(m.mount, name);
  };
  const writes: CgroupWrite[] = [];
  const mem = layout.controllers.memory;
  if (limits.memory !== undefined && mem) {
    const dir = dirOf('memory')!;
    const bytes = String(limits.memory);
    if (mem.version === 1) {
      writes.push({ dir, file: 'memory.limit_in_bytes', value: bytes });
      // memory+swap equal to memory: swap cannot be used to dodge the limit.
      writes.push({ dir, file: 'memory.memsw.limit_in_bytes', value: bytes, optional: true });
    } else {
      writes.push({ dir, file: 'memory.max', value: bytes });
      writes.push({ dir, file: 'memory.swap.max', value: '0', optional: true });
    }
  }
  if (limits.memoryReservation !== undefined && mem) {
    const file = mem.version === 1 ? 'memory.soft_limit_in_bytes' : 'memory.low';
    writes.push({ dir: dirOf('memory')!, file, value: String(limits.memoryReservation) });
  }
  const cpu = layout.controllers.cpu;
  if (limits.cpus !== undefined && cpu) {
    const dir = dirOf('cpu')!;
    const quota = String(Math.round(limits.cpus * CPU_PERIOD_US));
    if (cpu.version === 1) {
      writes.push({ dir, file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US) });
      writes.push({ dir, file: 'cpu.cfs_quota_us', value: quota });
    } else {
      writes.push({ dir, file: 'cpu.max', value: `${quota} ${CPU_PERIOD_US}` });
    }
  }
  if (limits.pids !== undefined && layout.controllers.pids) {
    writes.push({ dir: dirOf('pids')!, file: 'pids.max', value: String(limits.pids) });
  }
  return writes;
}

/**
 * On v2, the `+controller` writes into cgroup.subtree_control of every ancestor of `name`
 * (the mount itself, `hafen`, `hafen/<project>`), so the leaf gets the controllers' files.
 */
export function subtreeWrites(layout: CgroupLayout, name: string): CgroupWrite[] {
  const v2 = (['memory', 'cpu', 'pids'] as const).filter((c) => layout.controllers[c]?.version === 2);
  if (v2.length === 0 || !layout.v2Mount) return [];
  const parts = name.split('/');
  const writes: CgroupWrite[] = [];
  for (let i = 0; i < parts.length; i++) {
    const dir = path.join(layout.v2Mount, ...parts.slice(0, i));
    writes.push({ dir, file: 'cgroup.subtree_control', value: v2.map((c) => `+${c}`).join(' ') });
  }
  return writes;
}
