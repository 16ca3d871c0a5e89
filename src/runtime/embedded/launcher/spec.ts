/**
 * What to launch, as data, and its translation into hafen-run's command line (documented at the
 * top of native/hafen-run.c). Pure: no I/O, so every option is table-tested.
 */
import { RuntimeError } from '../../../errors.js';
import { DOCKER_DEFAULT_CAPABILITIES, capabilityName } from './capabilities.js';

/** The container's root filesystem: an overlay of image layers with its own upper dir, or a plain directory. */
export type RootfsSpec =
  | {
      kind: 'overlay';
      /** Layer directories, top-most first. */
      lower: readonly string[];
      upper: string;
      work: string;
      /** Where the overlay is mounted (inside the container's mount namespace only); created if missing. */
      target: string;
      /**
       * overlayfs `volatile`: no sync of the upper dir, not even at unmount (saves milliseconds per
       * container). Only for throwaway uppers: after a host crash their content is undefined.
       */
      volatile?: boolean;
    }
  | { kind: 'dir'; path: string };

/** A host file or directory bound into the container; the target is created if missing. */
export interface BindSpec {
  source: string;
  target: string;
  readOnly?: boolean;
}

/** A tmpfs in the container (nosuid, nodev; mode 1777 unless given). */
export interface TmpfsSpec {
  target: string;
  sizeBytes?: number;
  mode?: number;
  readOnly?: boolean;
  noexec?: boolean;
}

/** The network namespace: a new empty one (lo up), the host's, or an existing one by path. */
export type NetSpec = 'new' | 'host' | { join: string };

/** Numeric identity of the command; see passwd.ts to resolve names. */
export interface UserSpec {
  uid: number;
  gid: number;
  groups?: readonly number[];
}

/** How the command runs: shared by a container's first process and an exec into it. */
export interface ProcessSpec {
  command: readonly string[];
  /** The whole environment (nothing is inherited). */
  env?: Readonly<Record<string, string>>;
  /** Working directory, created if missing; default `/`. */
  cwd?: string;
  /** Default root (0:0, no supplementary groups). */
  user?: UserSpec;
  /** Capabilities kept; default Docker's set, `[]` for none. */
  capabilities?: readonly string[];
  /** cgroup directories to join (v1 per controller and/or v2). */
  cgroups?: readonly string[];
  /** A new pty inside the container, relayed to the launcher's stdin/stdout. */
  tty?: boolean;
  /**
   * `privileged: true` (capabilities are given separately): the host's devices in /dev, /sys
   * writable, nothing masked in /proc and /sys, and no no_new_privs (for an exec too).
   */
  privileged?: boolean;
  /** rlimits set before exec, by name (`nofile`); -1 is unlimited. */
  ulimits?: Readonly<Record<string, { soft: number; hard: number }>>;
  /** Keep the right to gain privileges (`security_opt: no-new-privileges:false`). */
  allowNewPrivileges?: boolean;
  /** The OOM-killer preference, -1000..1000 (the container's init and command, and an exec). */
  oomScoreAdj?: number;
  /** A compiled seccomp filter (struct sock_filter bytes, src/seccomp), handed over on SECCOMP_FD. */
  seccompFilter?: Uint8Array;
}

/** A namespace: a new one, the host's, or an existing one by path (`/proc/PID/ns/ipc`). */
export type NamespaceSpec = 'new' | 'host' | { join: string };

/** Everything hafen-run needs to start a container. */
export interface LaunchSpec extends ProcessSpec {
  rootfs: RootfsSpec;
  binds?: readonly BindSpec[];
  tmpfs?: readonly TmpfsSpec[];
  /** The root filesystem read-only once set up (`read_only: true`); mounts on it keep their own mode. */
  readOnlyRootfs?: boolean;
  /** Host system directories bound read-only at the same path (`image: host`). */
  hostReadOnly?: readonly string[];
  /** Default `new`. */
  net?: NetSpec;
  hostname?: string;
  /** NIS domain name of the container's UTS namespace (`domainname:`). */
  domainname?: string;
  /**
   * Capture stdout/stderr into a timestamped log file, rotated to FILE.1 past maxBytes; `files`
   * kept in all (default 2: FILE and FILE.1; 1 drops the full file), as Docker's max-file.
   */
  log?: { file: string; maxBytes?: number; files?: number };
  /** Outlive the launching process; the final status is written to statusFile. */
  detach?: { statusFile: string };
  /** IPC and PID namespaces (default new); UTS new or the host's. */
  ipc?: NamespaceSpec;
  pid?: NamespaceSpec;
  uts?: 'new' | 'host';
  /** Namespaced sysctls written in the container's own network and IPC namespaces. */
  sysctls?: Readonly<Record<string, string>>;
  /** Size of /dev/shm (default 64 MiB). */
  shmSizeBytes?: number;
  /** With a log: stdin a pipe that stays open (`stdin_open: true`), not /dev/null. */
  stdinOpen?: boolean;
  /** With `net: new`: `ip -batch` lines the launcher runs inside the new network namespace before it tells the pid (network/attach.ts attachCommands). */
  netSetup?: readonly string[];
}

/** The launcher's sync socket: fd 3 of hafen-run (Node's fourth stdio entry). */
export const SYNC_FD = 3;

/** The pipe hafen-run reads the environment from: fd 4 (Node's fifth stdio entry), for run and exec. */
export const ENV_FD = 4;

/**
 * The environment as hafen-run's --env-fd reads it: `K=V` entries, each ending in a NUL byte;
 * undefined when there is none. A name or value that cannot be an environment entry is refused
 * naming the variable, never its value.
 */
export function envPayload(spec: ProcessSpec): Buffer | undefined {
  const entries = Object.entries(spec.env ?? {});
  if (entries.length === 0) return undefined;
  for (const [k, v] of entries) {
    if (!k || k.includes('=') || k.includes('\0')) invalid(`bad environment variable name ${JSON.stringify(k)}`);
    if (v.includes('\0')) invalid(`the value of the environment variable ${k} contains a NUL byte`);
  }
  return Buffer.from(entries.map(([k, v]) => `${k}=${v}\0`).join(''));
}

/** Where hafen-run reads the seccomp filter from (fd 5, Node's sixth stdio entry; fd 4 is the environment's), never the command line. */
export const SECCOMP_FD = 5;

function invalid(message: string): never {
  throw new RuntimeError('launch spec', message);
}

function noColon(what: string, p: string): string {
  if (p.includes(':')) invalid(`${what} ${p}: paths with ':' are not supported`);
  if (!p) invalid(`${what} is empty`);
  return p;
}

function processArgs(spec: ProcessSpec): string[] {
  const args: string[] = [];
  if (spec.cwd) args.push('--cwd', spec.cwd);
  // The environment goes through a pipe (envPayload), never the command line: ps shows that to every user.
  if (envPayload(spec) !== undefined) args.push('--env-fd', String(ENV_FD));
  if (spec.user) {
    const { uid, gid, groups = [] } = spec.user;
    for (const id of [uid, gid, ...groups]) if (!Number.isInteger(id) || id < 0) invalid(`bad user or group id ${id}`);
    args.push('--user', `${uid}:${gid}`);
    if (groups.length) args.push('--groups', groups.join(','));
  }
  for (const cap of spec.capabilities ?? DOCKER_DEFAULT_CAPABILITIES) args.push('--cap', capabilityName(cap));
  for (const dir of spec.cgroups ?? []) args.push('--cgroup', dir);
  if (spec.tty) args.push('--tty');
  if (spec.privileged) args.push('--privileged');
  for (const [name, { soft, hard }] of Object.entries(spec.ulimits ?? {})) {
    if (!/^[a-z]+$/.test(name) || ![soft, hard].every((v) => Number.isSafeInteger(v) && v >= -1)) invalid(`bad ulimit ${name}=${soft}:${hard}`);
    args.push('--ulimit', `${name}=${soft}:${hard}`);
  }
  if (spec.allowNewPrivileges) args.push('--allow-new-privileges');
  if (spec.oomScoreAdj !== undefined) {
    if (!Number.isInteger(spec.oomScoreAdj) || spec.oomScoreAdj < -1000 || spec.oomScoreAdj > 1000) invalid(`bad oom_score_adj ${spec.oomScoreAdj}`);
    args.push('--oom-score-adj', String(spec.oomScoreAdj));
  }
  if (spec.seccompFilter) {
    if (spec.seccompFilter.length === 0 || spec.seccompFilter.length % 8 !== 0) invalid(`bad seccomp filter of ${spec.seccompFilter.length} bytes`);
    args.push('--seccomp-fd', String(SECCOMP_FD));
  }
  return args;
}

function command(spec: ProcessSpec): string[] {
  if (spec.command.length === 0 || !spec.command[0]) invalid('no command given');
  return ['--', ...spec.command];
}

/** --ipc, --pid, --uts, --sysctl, --shm-size. */
function namespaceArgs(spec: LaunchSpec): string[] {
  const args: string[] = [];
  const ns = (n: NamespaceSpec | undefined) => (n === undefined || typeof n === 'string' ? n : noColon('namespace path', n.join));
  const ipc = ns(spec.ipc);
  const pid = ns(spec.pid);
  if (ipc && ipc !== 'new') args.push('--ipc', ipc);
  if (pid && pid !== 'new') args.push('--pid', pid);
  if (spec.uts === 'host') args.push('--uts', 'host');
  for (const [key, value] of Object.entries(spec.sysctls ?? {})) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key) || value.includes('\0')) invalid(`bad sysctl ${JSON.stringify(key)}`);
    args.push('--sysctl', `${key}=${value}`);
  }
  if (spec.shmSizeBytes !== undefined) {
    if (!Number.isSafeInteger(spec.shmSizeBytes) || spec.shmSizeBytes <= 0) invalid(`bad /dev/shm size ${spec.shmSizeBytes}`);
    args.push('--shm-size', String(spec.shmSizeBytes));
  }
  return args;
}

/** hafen-run's argv for a container; `syncFd` when the caller drives the sync protocol. */
export function runArgv(spec: LaunchSpec, options: { syncFd?: number } = {}): string[] {
  const args = ['run'];
  const { rootfs } = spec;
  if (rootfs.kind === 'dir') {
    args.push('--rootfs', rootfs.path);
  } else {
    if (rootfs.lower.length === 0) invalid('an overlay rootfs needs at least one lower dir (an empty one for scratch)');
    for (const dir of rootfs.lower) args.push('--rootfs-lower', dir);
    args.push('--rootfs-upper', rootfs.upper, '--rootfs-work', rootfs.work, '--rootfs-target', rootfs.target);
    if (rootfs.volatile) args.push('--rootfs-volatile');
  }
  if (spec.readOnlyRootfs) args.push('--rootfs-readonly');
  for (const dir of spec.hostReadOnly ?? []) args.push('--host-ro', dir);
  for (const b of spec.binds ?? []) {
    args.push('--bind', `${noColon('bind source', b.source)}:${noColon('bind target', b.target)}${b.readOnly ? ':ro' : ''}`);
  }
  for (const t of spec.tmpfs ?? []) {
    const opts = [
      t.sizeBytes !== undefined ? `size=${t.sizeBytes}` : undefined,
      t.mode !== undefined ? `mode=${t.mode.toString(8)}` : undefined,
      t.readOnly ? 'ro' : undefined,
      t.noexec ? 'noexec' : undefined,
    ].filter((o) => o !== undefined);
    args.push('--tmpfs', noColon('tmpfs target', t.target) + (opts.length ? `:${opts.join(',')}` : ''));
  }
  const net = spec.net ?? 'new';
  args.push('--net', typeof net === 'string' ? net : net.join);
  for (const line of spec.netSetup ?? []) args.push('--net-setup', line);
  if (spec.hostname) args.push('--hostname', spec.hostname);
  args.push(...namespaceArgs(spec));
  if (spec.domainname) args.push('--domainname', spec.domainname);
  args.push(...processArgs(spec));
  if (spec.stdinOpen) args.push('--stdin-open');
  if (spec.log) {
    args.push('--log', spec.log.file);
    if (spec.log.maxBytes) args.push('--log-max', String(spec.log.maxBytes));
    if (spec.log.files !== undefined) {
      if (!Number.isInteger(spec.log.files) || spec.log.files < 1) invalid(`bad number of log files ${spec.log.files}`);
      args.push('--log-files', String(spec.log.files));
    }
  }
  if (spec.detach) args.push('--detach', '--status-file', spec.detach.statusFile);
  if (options.syncFd !== undefined) args.push('--sync-fd', String(options.syncFd));
  return [...args, ...command(spec)];
}

/** hafen-run's argv to run a command inside the running container whose init is `pid`. */
export function execArgv(pid: number, spec: ProcessSpec): string[] {
  if (!Number.isInteger(pid) || pid <= 0) invalid(`bad container pid ${pid}`);
  return ['exec', '--target', String(pid), ...processArgs(spec), ...command(spec)];
}
