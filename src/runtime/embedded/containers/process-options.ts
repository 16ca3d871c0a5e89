/**
 * A ContainerSpec's process and confinement fields as the launcher's options: what the command's
 * process keeps (rlimits, the right to gain privileges, the OOM preference: an exec keeps them too) and what the
 * container is made with (namespaces, sysctls, /dev/shm size, OOM preference, devices).
 */
import { noNewPrivileges } from '../../../config/process-keys.js';
import type { ContainerSpec } from '../../runtime.js';
import type { BindSpec, LaunchSpec, ProcessSpec } from '../launcher/spec.js';
import { namespaceSpec } from './shared-namespaces.js';

/** What the command's process keeps, in the container and in every exec into it. */
export function processOptions(spec: Pick<ContainerSpec, 'ulimits' | 'securityOpt' | 'privileged' | 'oomScoreAdj'>): Pick<ProcessSpec, 'ulimits' | 'allowNewPrivileges' | 'oomScoreAdj'> {
  const out: Pick<ProcessSpec, 'ulimits' | 'allowNewPrivileges' | 'oomScoreAdj'> = {};
  if (spec.oomScoreAdj !== undefined) out.oomScoreAdj = spec.oomScoreAdj;
  if (spec.ulimits && Object.keys(spec.ulimits).length > 0) out.ulimits = structuredClone(spec.ulimits);
  if (!spec.privileged && noNewPrivileges(spec.securityOpt) === false) out.allowNewPrivileges = true;
  return out;
}

/** The launcher options of the container's namespaces and kernel settings; `root`/`project` find containers it shares with. */
export function containerOptions(root: string, project: string, spec: ContainerSpec): Pick<LaunchSpec, 'ipc' | 'pid' | 'uts' | 'sysctls' | 'shmSizeBytes'> & { binds: BindSpec[] } {
  const out: ReturnType<typeof containerOptions> = { binds: [] };
  const ipc = namespaceSpec(root, project, 'ipc', spec.ipc);
  const pid = namespaceSpec(root, project, 'pid', spec.pid);
  if (ipc !== 'new') out.ipc = ipc;
  if (pid !== 'new') out.pid = pid;
  if (spec.uts === 'host') out.uts = 'host';
  if (spec.sysctls && Object.keys(spec.sysctls).length > 0) out.sysctls = { ...spec.sysctls };
  if (spec.shmSize !== undefined) out.shmSizeBytes = spec.shmSize;
  // The host's IPC includes its POSIX shared memory, as with Docker's `--ipc host`.
  if (spec.ipc === 'host') out.binds.push({ source: '/dev/shm', target: '/dev/shm' });
  // The node is bound in; its cgroup's device rules (device-nodes.ts) let the container use it.
  for (const d of spec.devices ?? []) out.binds.push({ source: d.source, target: d.target, readOnly: !d.permissions.includes('w') });
  return out;
}

/** The container options without their binds (which go with the container's other binds). */
export function withoutBinds(options: ReturnType<typeof containerOptions>): Omit<ReturnType<typeof containerOptions>, 'binds'> {
  const { binds: _binds, ...rest } = options;
  return rest;
}
