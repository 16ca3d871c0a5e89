/** The process and confinement keys of a service written back for `stack config` (sizes in bytes, long forms). */
import type { Service } from './model.js';

/** Only the keys the service has; a `blkio_config` without entries keeps only what it has. */
export function serializeProcessKeys(s: Service): Record<string, unknown> {
  const blkio = s.blkio_config && Object.fromEntries(Object.entries(s.blkio_config).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  const out: Record<string, unknown> = {
    ulimits: s.ulimits,
    shm_size: s.shm_size,
    sysctls: s.sysctls,
    ipc: s.ipc,
    pid: s.pid,
    uts: s.uts,
    devices: s.devices,
    device_cgroup_rules: s.device_cgroup_rules,
    security_opt: s.security_opt,
    group_add: s.group_add,
    oom_score_adj: s.oom_score_adj,
    mem_swappiness: s.mem_swappiness,
    memswap_limit: s.memswap_limit,
    cpu_shares: s.cpu_shares,
    cpu_quota: s.cpu_quota,
    cpu_period: s.cpu_period,
    cpuset: s.cpuset,
    cgroup_parent: s.cgroup_parent,
    userns_mode: s.userns_mode,
    storage_opt: s.storage_opt,
    blkio_config: blkio,
    cpu_count: s.cpu_count,
    cpu_percent: s.cpu_percent,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}
