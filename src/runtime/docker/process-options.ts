/**
 * A ContainerSpec's process and confinement fields as Docker's HostConfig (API 1.41): what
 * `docker run --ulimit --shm-size --sysctl --ipc --pid --uts --device --security-opt --group-add
 * --oom-score-adj --init` and the cgroup flags send. Pure but for reading a seccomp profile file,
 * which is injected.
 */
import fs from 'node:fs';
import type { ContainerSpec, NamespaceMode } from '../runtime.js';

/** Reads a seccomp profile named by `security_opt: seccomp=FILE` (an absolute path by then). */
export type ReadProfile = (file: string) => string;

const readProfileFile: ReadProfile = (file) => fs.readFileSync(file, 'utf8');

/** HostConfig fields for the spec's process keys; only those it sets. */
export function processHostConfig(spec: ContainerSpec, readProfile: ReadProfile = readProfileFile): Record<string, unknown> {
  const h: Record<string, unknown> = {};
  if (spec.init) h.Init = true;
  if (spec.ulimits) h.Ulimits = Object.entries(spec.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }));
  if (spec.shmSize !== undefined) h.ShmSize = spec.shmSize;
  if (spec.sysctls) h.Sysctls = { ...spec.sysctls };
  if (spec.ipc !== undefined) h.IpcMode = namespaceMode(spec.ipc);
  if (spec.pid !== undefined && spec.pid !== 'private' && spec.pid !== 'shareable') h.PidMode = namespaceMode(spec.pid);
  if (spec.uts) h.UTSMode = spec.uts;
  if (spec.devices) h.Devices = spec.devices.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions }));
  if (spec.deviceCgroupRules) h.DeviceCgroupRules = [...spec.deviceCgroupRules];
  h.SecurityOpt = securityOptions(spec, readProfile);
  if (spec.groupAdd) h.GroupAdd = [...spec.groupAdd];
  if (spec.oomScoreAdj !== undefined) h.OomScoreAdj = spec.oomScoreAdj;
  if (spec.usernsMode !== undefined) h.UsernsMode = spec.usernsMode;
  if (spec.storageOpt) h.StorageOpt = { ...spec.storageOpt };
  const c = spec.cgroup;
  if (c) {
    if (c.memSwappiness !== undefined) h.MemorySwappiness = c.memSwappiness;
    if (c.memswapLimit !== undefined) h.MemorySwap = c.memswapLimit;
    if (c.cpuShares !== undefined) h.CpuShares = c.cpuShares;
    if (c.cpuQuota !== undefined) h.CpuQuota = c.cpuQuota;
    if (c.cpuPeriod !== undefined) h.CpuPeriod = c.cpuPeriod;
    if (c.cpuset !== undefined) h.CpusetCpus = c.cpuset;
    if (c.parent !== undefined) h.CgroupParent = c.parent;
    if (c.cpuCount !== undefined) h.CpuCount = c.cpuCount;
    if (c.cpuPercent !== undefined) h.CpuPercent = c.cpuPercent;
    const b = c.blkio;
    if (b) {
      if (b.weight !== undefined) h.BlkioWeight = b.weight;
      const rate = (list: { path: string; rate: number }[]) => list.map((d) => ({ Path: d.path, Rate: d.rate }));
      if (b.weight_device.length) h.BlkioWeightDevice = b.weight_device.map((d) => ({ Path: d.path, Weight: d.weight }));
      if (b.device_read_bps.length) h.BlkioDeviceReadBps = rate(b.device_read_bps);
      if (b.device_write_bps.length) h.BlkioDeviceWriteBps = rate(b.device_write_bps);
      if (b.device_read_iops.length) h.BlkioDeviceReadIOps = rate(b.device_read_iops);
      if (b.device_write_iops.length) h.BlkioDeviceWriteIOps = rate(b.device_write_iops);
    }
  }
  return h;
}

function namespaceMode(mode: NamespaceMode): string {
  return typeof mode === 'string' ? mode : `container:${mode.container}`;
}

/**
 * The security options: hafen's default no-new-privileges (none when privileged), unless the file
 * says `no-new-privileges[:true|false]` itself; a seccomp profile file is sent as its JSON, as
 * docker and Compose do.
 */
export function securityOptions(spec: Pick<ContainerSpec, 'privileged' | 'securityOpt'>, readProfile: ReadProfile = readProfileFile): string[] {
  const given = spec.securityOpt ?? [];
  const own = given.some((o) => /^no-new-privileges([:=]|$)/.test(o));
  const out = spec.privileged || own ? [] : ['no-new-privileges'];
  for (const opt of given) {
    const m = /^seccomp[=:](.+)$/.exec(opt);
    if (m && m[1] !== 'unconfined' && m[1] !== 'builtin') out.push(`seccomp=${JSON.stringify(JSON.parse(readProfile(m[1]!)))}`);
    else out.push(opt);
  }
  return out;
}
