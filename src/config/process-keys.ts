/**
 * A service's process and confinement keys (ulimits, shm_size, sysctls, ipc, pid, uts, devices,
 * security_opt, group_add, oom_score_adj, the cgroup tunings, blkio_config, …) in their long
 * form, by Compose's meaning (compose-go's loader and the Compose specification). Each is set on
 * the service only when written, so files that do not use them normalize as before.
 */
import { parseDeviceCgroupRule } from './device-cgroup-rule.js';
import { ValueError, type Issues } from './issues.js';
import { entries } from './mappings.js';
import type { BlkioConfig, DeviceMapping, Service, Ulimit } from './model.js';
import type { RawBlkio, RawService, Size } from './raw.js';
import { securityOptFrom } from './security-opt.js';
import { parseSize } from './units.js';

/** The keys this module fills in, as they appear on Service. */
export type ProcessKeys = Pick<
  Service,
  | 'ulimits' | 'shm_size' | 'sysctls' | 'ipc' | 'pid' | 'uts' | 'devices' | 'security_opt' | 'group_add' | 'oom_score_adj'
  | 'mem_swappiness' | 'memswap_limit' | 'cpu_shares' | 'cpu_quota' | 'cpu_period' | 'cpuset'
  | 'cgroup_parent' | 'userns_mode' | 'storage_opt' | 'blkio_config' | 'cpu_count' | 'cpu_percent'
  | 'device_cgroup_rules'
>;

/**
 * Sysctls a container may set, because the kernel keeps them per namespace: net.* in its network
 * namespace; the System V IPC and POSIX message queue ones in its IPC namespace (the list runc and
 * Docker accept). Any other would change the whole host.
 */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** Which namespace a sysctl belongs to, or undefined when it is not namespaced. */
export function sysctlNamespace(name: string): 'net' | 'ipc' | undefined {
  if (name.startsWith('net.')) return 'net';
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

/** Security options hafen knows; `no-new-privileges` may carry `:true`/`:false` or `=true`/`=false`. */
const NO_NEW_PRIVILEGES = /^no-new-privileges([:=](true|false))?$/;

/** Whether no_new_privs is asked off (`no-new-privileges:false`), on, or left to the default (undefined). */
export function noNewPrivileges(options: readonly string[] | undefined): boolean | undefined {
  let out: boolean | undefined;
  for (const o of options ?? []) {
    const m = NO_NEW_PRIVILEGES.exec(o);
    if (m) out = m[2] !== 'false';
  }
  return out;
}

/** An integer as written (a number, or a string of digits after interpolation). */
function integer(value: number | string, what: string, min?: number, max?: number): number {
  const n = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new ValueError(`expected a whole number for ${what}, got ${JSON.stringify(value)}`);
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    throw new ValueError(`${what} must be between ${min} and ${max}, got ${n}`);
  }
  return n;
}

/** A size, or -1 for "unlimited" where Compose allows it (memswap_limit). */
function sizeOrUnlimited(value: Size): number {
  return value === -1 || value === '-1' ? -1 : parseSize(value);
}

/** `nofile: 1024` or `nofile: {soft: 1024, hard: 2048}`; soft may not exceed hard (-1 = unlimited). */
function ulimitOf(name: string, value: number | string | { soft: number | string; hard: number | string }): Ulimit {
  const u =
    typeof value === 'object'
      ? { soft: integer(value.soft, `ulimits.${name}.soft`, -1), hard: integer(value.hard, `ulimits.${name}.hard`, -1) }
      : { soft: integer(value, `ulimits.${name}`, -1), hard: integer(value, `ulimits.${name}`, -1) };
  const over = (a: number, b: number) => b !== -1 && (a === -1 || a > b);
  if (over(u.soft, u.hard)) throw new ValueError(`the soft limit ${u.soft} is above the hard limit ${u.hard}`);
  return u;
}

/** Linux rlimit names Docker accepts in `--ulimit`. */
export const ULIMIT_NAMES = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'] as const;

/** `/dev/x`, `/dev/x:/dev/y`, `/dev/x:/dev/y:rwm` or the long form; as compose-go reads them. */
export function parseDevice(value: string | { source: string; target?: string; permissions?: string }): DeviceMapping {
  let device: DeviceMapping;
  if (typeof value === 'string') {
    const parts = value.split(':');
    if (parts.length > 3) throw new ValueError(`expected /dev/HOST[:/dev/CONTAINER[:rwm]], got ${JSON.stringify(value)}`);
    const [source = '', target, permissions] = parts;
    device = { source, target: target || source, permissions: permissions ?? 'rwm' };
  } else {
    device = { source: value.source, target: value.target || value.source, permissions: value.permissions ?? 'rwm' };
  }
  if (!device.source.startsWith('/') || !device.target.startsWith('/')) {
    throw new ValueError(`device paths must be absolute, got ${JSON.stringify(typeof value === 'string' ? value : device.source)}`);
  }
  if (!/^[rwm]+$/.test(device.permissions)) throw new ValueError(`device permissions are letters of rwm, got ${JSON.stringify(device.permissions)}`);
  return device;
}

function blkioOf(raw: RawBlkio, check: <T>(key: string, fn: () => T) => T | undefined): BlkioConfig {
  const rates = (key: 'device_read_bps' | 'device_read_iops' | 'device_write_bps' | 'device_write_iops', iops: boolean) =>
    (raw[key] ?? []).flatMap((d, i) => {
      const rate = check(`blkio_config.${key}[${i}].rate`, () => (iops ? integer(d.rate, 'rate', 0) : parseSize(d.rate)));
      return rate === undefined ? [] : [{ path: d.path, rate }];
    });
  const out: BlkioConfig = {
    weight_device: (raw.weight_device ?? []).flatMap((d, i) => {
      const weight = check(`blkio_config.weight_device[${i}].weight`, () => integer(d.weight, 'weight', 10, 1000));
      return weight === undefined ? [] : [{ path: d.path, weight }];
    }),
    device_read_bps: rates('device_read_bps', false),
    device_read_iops: rates('device_read_iops', true),
    device_write_bps: rates('device_write_bps', false),
    device_write_iops: rates('device_write_iops', true),
  };
  if (raw.weight !== undefined) {
    const w = check('blkio_config.weight', () => integer(raw.weight!, 'weight', 10, 1000));
    if (w !== undefined) out.weight = w;
  }
  return out;
}

/** The process and confinement keys of `raw`, normalized; problems go to `issues` under `services.NAME.KEY`. */
export function processKeysOf(name: string, raw: RawService, issues: Issues, dir: string): ProcessKeys {
  const base = `services.${name}`;
  const check = <T>(key: string, fn: () => T): T | undefined => issues.check(`${base}.${key}`, fn);
  const out: ProcessKeys = {};
  const set = <K extends keyof ProcessKeys>(key: K, value: ProcessKeys[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };

  if (raw.ulimits !== undefined) {
    const ulimits: Record<string, Ulimit> = {};
    for (const [limit, value] of Object.entries(raw.ulimits)) {
      if (!(ULIMIT_NAMES as readonly string[]).includes(limit)) {
        issues.key(`${base}.ulimits.${limit}`, `unknown ulimit "${limit}"; expected one of ${ULIMIT_NAMES.join(', ')}`);
        continue;
      }
      const u = check(`ulimits.${limit}`, () => ulimitOf(limit, value));
      if (u) ulimits[limit] = u;
    }
    out.ulimits = ulimits;
  }
  if (raw.shm_size !== undefined) set('shm_size', check('shm_size', () => parseSize(raw.shm_size!)));
  if (raw.sysctls !== undefined) {
    const sysctls: Record<string, string> = {};
    for (const e of entries(raw.sysctls, (at, m) => issues.value(`${base}.sysctls${at}`, m))) {
      if (sysctlNamespace(e.name) === undefined) {
        issues.value(
          `${base}.sysctls${e.at}`,
          `sysctl "${e.name}" is not namespaced: setting it would change the whole host, so containers may not (Docker refuses it too); only net.*, kernel.msg*, kernel.sem, kernel.shm* and fs.mqueue.* can be set per container`,
        );
      } else if (e.value === undefined) {
        issues.value(`${base}.sysctls${e.at}`, `sysctl "${e.name}" has no value`);
      } else {
        sysctls[e.name] = e.value;
      }
    }
    out.sysctls = sysctls;
  }
  if (raw.ipc !== undefined) out.ipc = raw.ipc;
  if (raw.pid !== undefined && raw.pid !== null && raw.pid !== '') out.pid = raw.pid;
  if (raw.uts !== undefined && raw.uts !== '') out.uts = raw.uts;
  if (raw.devices !== undefined) {
    out.devices = raw.devices.flatMap((d, i) => {
      const device = check(`devices[${i}]`, () => parseDevice(d));
      return device ? [device] : [];
    });
  }
  if (raw.device_cgroup_rules !== undefined) {
    out.device_cgroup_rules = raw.device_cgroup_rules.filter((r, i) => check(`device_cgroup_rules[${i}]`, () => parseDeviceCgroupRule(r)) !== undefined);
  }
  if (raw.security_opt !== undefined) out.security_opt = raw.security_opt.map((o, i) => check(`security_opt[${i}]`, () => securityOptFrom(o, dir)) ?? o);
  if (raw.group_add !== undefined) out.group_add = raw.group_add.map(String);
  if (raw.oom_score_adj !== undefined) set('oom_score_adj', check('oom_score_adj', () => integer(raw.oom_score_adj!, 'oom_score_adj', -1000, 1000)));
  if (raw.mem_swappiness !== undefined) set('mem_swappiness', check('mem_swappiness', () => integer(raw.mem_swappiness!, 'mem_swappiness', 0, 100)));
  if (raw.memswap_limit !== undefined) set('memswap_limit', check('memswap_limit', () => sizeOrUnlimited(raw.memswap_limit!)));
  if (raw.cpu_shares !== undefined) set('cpu_shares', check('cpu_shares', () => integer(raw.cpu_shares!, 'cpu_shares', 0)));
  if (raw.cpu_quota !== undefined) set('cpu_quota', check('cpu_quota', () => integer(raw.cpu_quota!, 'cpu_quota', -1)));
  if (raw.cpu_period !== undefined) set('cpu_period', check('cpu_period', () => integer(raw.cpu_period!, 'cpu_period', 0)));
  if (raw.cpuset !== undefined) out.cpuset = raw.cpuset;
  if (raw.cgroup_parent !== undefined) out.cgroup_parent = raw.cgroup_parent;
  if (raw.userns_mode !== undefined) out.userns_mode = raw.userns_mode;
  if (raw.storage_opt !== undefined) out.storage_opt = Object.fromEntries(Object.entries(raw.storage_opt).map(([k, v]) => [k, String(v)]));
  if (raw.blkio_config !== undefined) out.blkio_config = blkioOf(raw.blkio_config, check);
  if (raw.cpu_count !== undefined) set('cpu_count', check('cpu_count', () => integer(raw.cpu_count!, 'cpu_count', 0)));
  if (raw.cpu_percent !== undefined) set('cpu_percent', check('cpu_percent', () => integer(raw.cpu_percent!, 'cpu_percent', 0, 100)));
  return out;
}

/** `ipc: service:X`, `pid: service:X`: the services whose namespaces this one shares (Compose makes them dependencies). */
export function namespaceServices(keys: Pick<Service, 'ipc' | 'pid'>): { key: 'ipc' | 'pid'; service: string }[] {
  const out: { key: 'ipc' | 'pid'; service: string }[] = [];
  for (const key of ['ipc', 'pid'] as const) {
    const v = keys[key];
    if (v?.startsWith('service:')) out.push({ key, service: v.slice('service:'.length) });
  }
  return out;
}
