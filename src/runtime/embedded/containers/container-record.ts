/**
 * A container's record: `container.json` in its state folder (`<root>/projects/<project>/containers/<name>/`),
 * holding the spec it was made from, what create resolved (image, mounts, addresses) and what start
 * made (process ids, ports). Replaced atomically (temp file + rename) on every change. Not fsynced:
 * it describes live processes, which a host crash ends anyway; the ledger is what must survive.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerSpec, Health, PortBinding } from '../../runtime.js';
import type { BindSpec, TmpfsSpec, UserSpec } from '../launcher/spec.js';
import type { ContainerConfig } from '../store/index.js';
import { containerDir, projectDir } from '../state/index.js';

/** The image a container was made from, as resolved at create. */
export interface RecordImage {
  /** As the spec names it: `host`, `scratch`, `busybox:latest`. */
  ref: string;
  /** Manifest digest in the store; undefined for `scratch`. */
  digest?: string;
  /** Image ID (config digest), as `listImages` reports it. */
  id?: string;
  /** Built FROM host: the host's system directories are bound read-only. */
  hostBased: boolean;
  config: ContainerConfig;
}

/** One network a container is on, resolved at create. */
export interface RecordNetwork {
  /** Runtime name, e.g. `shop_default`. */
  name: string;
  /** The project holding the network (its own, or another's for an external network). */
  owner: string;
  bridge: string;
  address: string;
  prefix: number;
  aliases: string[];
  /** The bridge's address (the host on this network: `host-gateway`). */
  gateway?: string;
  /** The container end's MAC address, when the stack file gives one. */
  mac?: string;
}

/** How the container's command runs; kept for exec, which runs with the same identity. */
export interface RecordProcess {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  user: UserSpec;
  capabilities: string[];
  cgroups: string[];
  /** `privileged: true`: see ProcessSpec.privileged; an exec keeps it. */
  privileged?: boolean;
  /** rlimits and the right to gain privileges: an exec keeps them too. */
  ulimits?: Record<string, { soft: number; hard: number }>;
  allowNewPrivileges?: boolean;
  oomScoreAdj?: number;
  /** The compiled seccomp filter (base64 of struct sock_filter[]); none when unconfined. An exec gets the same. */
  seccomp?: string;
}

/** What start made: the container's init and the launcher that watches it, each with its start time. */
export interface RecordRun {
  pid: number;
  startTime: string;
  launcherPid: number;
  launcherStartTime: string;
  process: RecordProcess;
}

/** Everything the runtime keeps of one container. */
export interface ContainerRecord {
  version: 1;
  id: string;
  name: string;
  project: string;
  spec: ContainerSpec;
  image: RecordImage;
  /** Host paths bound in (volumes, binds), in mount order; name files are added at start. */
  binds: BindSpec[];
  tmpfs: TmpfsSpec[];
  networks: RecordNetwork[];
  /** Last state written; `running` is checked against the live process when read. */
  state: 'created' | 'running' | 'exited';
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  run?: RecordRun;
  exit?: { exitCode: number; oomKilled: boolean };
  /** It ended because a stop or kill was asked for, not by itself. */
  stopRequested?: boolean;
  ports: PortBinding[];
  health: Health;
  /** Restarts done by its restart policy (the supervisor's; kept here so they outlive it). */
  restarts?: number;
  // Snapshots and resets (issue 20).
  /** Snapshot layers (ChainIDs, base first) between its image and its writable layer, since a reset onto a snapshot. */
  snapshotLayers?: string[];
  /** Host ports it had before a reset, published again on the same ports when the file leaves them to chance. */
  keptPorts?: PortBinding[];
}

/** The record's file. */
export function recordFile(root: string, project: string, name: string): string {
  return path.join(containerDir(root, project, name), 'container.json');
}

/** A new container id: 64 hex digits, as Docker's. */
export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Reads a record; undefined when the container has none (not made, or removed). The record is
 * shared and frozen: change it by writing a new one (`writeRecord({...record, …})`).
 */
export function readRecord(root: string, project: string, name: string): ContainerRecord | undefined {
  try {
    return readRecordFile(recordFile(root, project, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

// Parsed records, kept while their file is unchanged (issue 16): a start or stop looks at every
// record of the root to rewrite the hosts files, and inspects read one on every call; a stat is
// cheaper than a read and a parse. A record is replaced by a rename, so a new one is a new inode.
const parsed = new Map<string, { ino: number; size: number; mtimeNs: bigint; record: ContainerRecord }>();

/** The record in `file`, parsed once per version of the file. */
function readRecordFile(file: string): ContainerRecord {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(file, { bigint: true });
  } catch (err) {
    parsed.delete(file); // removed: forget it
    throw err;
  }
  const known = parsed.get(file);
  if (known && known.ino === Number(st.ino) && known.size === Number(st.size) && known.mtimeNs === st.mtimeNs) return known.record;
  const record = deepFreeze(JSON.parse(fs.readFileSync(file, 'utf8')) as ContainerRecord);
  parsed.set(file, { ino: Number(st.ino), size: Number(st.size), mtimeNs: st.mtimeNs, record });
  return record;
}

/** Freezes `value` and everything it holds, so a shared record cannot be changed by accident. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Replaces the record atomically. */
export function writeRecord(root: string, record: ContainerRecord): void {
  const file = recordFile(root, record.project, record.name);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, JSON.stringify(record, null, 1), { mode: 0o600 });
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function readDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every project with a state folder under `root`. */
export function listProjects(root: string): string[] {
  try {
    return fs
      .readdirSync(path.join(root, 'projects'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.includes('.'))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The names of the containers `project` has records of. */
export function containerNames(root: string, project: string): string[] {
  return readDir(path.join(projectDir(root, project), 'containers'));
}

/** Every container record under `root`, of every project. */
export function listRecords(root: string): ContainerRecord[] {
  return listProjects(root).flatMap((p) =>
    containerNames(root, p).flatMap((n) => {
      const r = readRecord(root, p, n);
      return r ? [r] : [];
    }),
  );
}

/** The projects holding a container named `name` (names are unique in practice: callers prefix them). */
export function projectsOf(root: string, name: string): string[] {
  return listProjects(root).filter((p) => fs.existsSync(path.join(projectDir(root, p), 'containers', name, 'container.json')));
}
