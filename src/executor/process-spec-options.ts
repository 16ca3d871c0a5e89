/**
 * A service's process and confinement keys as ContainerSpec fields: pure. `service:NAME` in
 * `ipc`/`pid` becomes the container of that service's first instance (what Compose shares).
 */
import type { Service, Stack } from '../config/model.js';
import { containerName } from '../planner/instances.js';
import type { CgroupTuning, ContainerSpec, NamespaceMode } from '../runtime/runtime.js';

/** The ContainerSpec fields of `service`'s process keys; only those the service sets. */
export function processSpecOptions(stack: Stack, service: Service): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  if (service.init) out.init = true;
  if (service.ulimits) out.ulimits = structuredClone(service.ulimits);
  if (service.shm_size !== undefined) out.shmSize = service.shm_size;
  if (service.sysctls) out.sysctls = { ...service.sysctls };
  if (service.ipc !== undefined) out.ipc = namespaceMode(stack, service.ipc);
  if (service.pid !== undefined) out.pid = namespaceMode(stack, service.pid);
  if (service.uts === 'host') out.uts = 'host';
  if (service.devices) out.devices = service.devices.map((d) => ({ ...d }));
  if (service.device_cgroup_rules) out.deviceCgroupRules = [...service.device_cgroup_rules];
  if (service.security_opt) out.securityOpt = [...service.security_opt];
  if (service.group_add) out.groupAdd = [...service.group_add];
  if (service.oom_score_adj !== undefined) out.oomScoreAdj = service.oom_score_adj;
  if (service.userns_mode !== undefined) out.usernsMode = service.userns_mode;
  if (service.storage_opt) out.storageOpt = { ...service.storage_opt };
  const cgroup: CgroupTuning = {};
  const set = <K extends keyof CgroupTuning>(key: K, value: CgroupTuning[K] | undefined) => {
    if (value !== undefined) cgroup[key] = value;
  };
  set('memSwappiness', service.mem_swappiness);
  set('memswapLimit', service.memswap_limit);
  set('cpuShares', service.cpu_shares);
  set('cpuQuota', service.cpu_quota);
  set('cpuPeriod', service.cpu_period);
  set('cpuset', service.cpuset);
  set('parent', service.cgroup_parent);
  set('blkio', service.blkio_config && structuredClone(service.blkio_config));
  set('cpuCount', service.cpu_count);
  set('cpuPercent', service.cpu_percent);
  if (Object.keys(cgroup).length > 0) out.cgroup = cgroup;
  return out;
}

/** `private`, `shareable`, `host`, `none`, `service:NAME` (its first container), `container:NAME`. */
export function namespaceMode(stack: Stack, mode: string): NamespaceMode {
  if (mode.startsWith('service:')) {
    const name = mode.slice('service:'.length);
    return { container: stack.services[name]?.container_name ?? containerName(stack.name, name, 1) };
  }
  if (mode.startsWith('container:')) return { container: mode.slice('container:'.length) };
  if (mode === 'host' || mode === 'shareable' || mode === 'none') return mode;
  return 'private';
}
