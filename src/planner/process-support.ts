/**
 * Process and confinement keys the embedded runtime cannot honour (issue 12): the rules that
 * SUPPORT_RULES lists for them. Docker takes every one of these keys and decides itself.
 */
import { formatNetworkMode } from '../config/networking.js';
import { sysctlNamespace } from '../config/process-keys.js';
import type { Service } from '../config/model.js';
import type { SupportRule } from './runtime-support.js';

/**
 * Security options the embedded runtime honours: no-new-privileges, any seccomp profile (its
 * default, `unconfined`, `builtin`, or a Docker-format FILE), and the AppArmor/SELinux opt-outs
 * (it applies no AppArmor profile or SELinux label to lift).
 */
const EMBEDDED_SECURITY_OPTS = /^(no-new-privileges([:=](true|false))?|seccomp[=:].+|apparmor[=:]unconfined|label[=:]disable)$/;

const DOCKER_ONLY = 'remove it, or use --runtime docker';

/** A rule that refuses a key on the embedded runtime whenever the service sets it. */
function dockerOnly(key: keyof Service, why: string): SupportRule {
  return {
    runtime: 'embedded',
    key,
    refuse: (s) => (s[key] === undefined ? undefined : `${key} is not supported on the embedded runtime (${why})`),
    todo: DOCKER_ONLY,
  };
}

/** The embedded runtime's refusals among the process keys. */
export const PROCESS_SUPPORT_RULES: readonly SupportRule[] = [
  {
    runtime: 'embedded',
    key: 'security_opt',
    refuse: (s) => {
      const other = (s.security_opt ?? []).filter((o) => !EMBEDDED_SECURITY_OPTS.test(o));
      return other.length === 0
        ? undefined
        : `${other.map((o) => JSON.stringify(o)).join(', ')} cannot be honoured on the embedded runtime (it takes no-new-privileges[:true|false], seccomp=unconfined|builtin|FILE.json, apparmor=unconfined and label=disable)`;
    },
    todo: DOCKER_ONLY,
  },
  {
    runtime: 'embedded',
    key: 'sysctls',
    refuse: (s) => {
      const shared = s.ipc !== undefined && s.ipc !== 'private' && s.ipc !== 'shareable';
      const ipc = Object.keys(s.sysctls ?? {}).filter((k) => sysctlNamespace(k) === 'ipc');
      return shared && ipc.length > 0 ? `${ipc.join(', ')} would change the IPC namespace of "ipc: ${s.ipc}", not one of this container's own` : undefined;
    },
    todo: 'set them on the service that owns the IPC namespace, or remove ipc',
  },
  {
    runtime: 'embedded',
    key: 'sysctls',
    refuse: (s) => {
      // `none` is a namespace of its own; host, service:X and container:X are shared.
      const mode = s.network_mode;
      const shared = mode !== undefined && mode.kind !== 'none';
      const net = Object.keys(s.sysctls ?? {}).filter((k) => sysctlNamespace(k) === 'net');
      return shared && net.length > 0 ? `${net.join(', ')} would change the network namespace of "network_mode: ${formatNetworkMode(mode)}", not one of this container's own` : undefined;
    },
    todo: 'set them on the service that owns the network namespace, or remove network_mode',
  },
  {
    runtime: 'embedded',
    key: 'cpu_quota',
    refuse: (s) => (s.cpu_quota !== undefined && s.resources.cpus !== undefined ? 'cpu_quota and a CPU limit (cpus) both set the CFS quota' : undefined),
    todo: 'keep one of them',
  },
  {
    runtime: 'embedded',
    key: 'userns_mode',
    refuse: (s) => (s.userns_mode === undefined || s.userns_mode === 'host' ? undefined : `userns_mode "${s.userns_mode}" is not supported on the embedded runtime (its containers run in the host's user namespace)`),
    todo: 'remove it (or write host), or use --runtime docker',
  },
  {
    runtime: 'embedded',
    key: 'ipc',
    refuse: (s) => (s.ipc === 'none' ? '"ipc: none" (no /dev/shm) is not supported on the embedded runtime' : undefined),
    todo: 'remove it (a private IPC namespace is the default), or use --runtime docker',
  },
  dockerOnly('cpuset', 'hafen does not manage the cpuset cgroup controller'),
  dockerOnly('cgroup_parent', 'its containers live under the hafen cgroup'),
  dockerOnly('storage_opt', 'its container layers are overlayfs directories without size quotas'),
  dockerOnly('blkio_config', 'hafen does not manage the blkio cgroup controller'),
  dockerOnly('cpu_count', 'a Windows container option'),
  dockerOnly('cpu_percent', 'a Windows container option'),
];
