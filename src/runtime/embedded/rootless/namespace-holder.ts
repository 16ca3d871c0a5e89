/**
 * The per-user namespace holder (issue 17): one process per user, made by the launcher
 * (`hafen-run userns-holder`, native/hafen-run-userns.c) in a new user namespace with its own mount
 * and network namespaces, which every state-changing command and every supervisor of that user
 * joins (`hafen-run userns-join`). Its pid and start time are kept in
 * $XDG_RUNTIME_DIR/hafen/userns.json, so a holder that died (or a reused pid) is never joined.
 * The stack bridges live in its network namespace; the holder is stopped once the user has no
 * project left, which takes the namespaces (and any bridge in them) away.
 *
 * The hand-over: a command takes the holder with a claim (`claim-<pid>` in the runtime folder,
 * made under the holder's lock, dropped when the command is done), so a command ending the user's
 * last project never stops a holder another command has just been given and is about to join;
 * a command that comes while the holder is stopping waits for the lock and starts a new one.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { hafenRunCommand } from '../launcher/hafen-run-path.js';
import { withFileLock } from '../network/file-lock.js';
import { processRunning, readProcStat } from '../process-info.js';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';
import { hostIdFacts, idMaps, type IdRange } from './id-maps.js';
import { isSupervisorSocketName, userRuntimeDir } from './rootless-paths.js';
import { holderNetwork, type HolderNamespaces, type HolderNetwork } from './holder-network.js';
import { rootlessHolderNetwork } from './network-attach.js';

let quietNetwork: HolderNetwork | undefined;
/**
 * The registered network helper, else the rootless network without a voice: a process that
 * registered none (a library, a test's script) still knows a keeper another command started, so
 * its relay does not keep the holder in use, and stopping the holder stops the keeper.
 */
function network(): HolderNetwork {
  return holderNetwork() ?? (quietNetwork ??= rootlessHolderNetwork());
}

/** A running holder: join `/proc/<pid>/ns/{user,mnt,net}`. */
export interface NamespaceHolder {
  pid: number;
  startTime: string;
  /** Its namespaces' paths (recorded for tools and people; joining goes by pid). */
  ns: HolderNamespaces;
}

/** A holder given to a command, with the claim that keeps it from being stopped until `release`. */
export interface ClaimedHolder extends NamespaceHolder {
  /** Drops the claim (the command has joined and ended, or will not join). */
  release(): void;
}

const CLAIM = /^claim-(\d+)$/;

/** Makes this process's claim on the holder in `dir` (called under the lock). */
function claim(dir: string, holder: NamespaceHolder): ClaimedHolder {
  const file = path.join(dir, `claim-${process.pid}`);
  fs.writeFileSync(file, readProcStat(process.pid)?.startTime ?? '', { mode: 0o600 });
  return { ...holder, release: () => fs.rmSync(file, { force: true }) };
}

/** Whether a live process (not this one) claims the holder in `dir`; claims of processes gone are removed. */
function claimedByOthers(dir: string): boolean {
  let live = false;
  for (const entry of fs.readdirSync(dir)) {
    const pid = Number(CLAIM.exec(entry)?.[1]);
    if (!Number.isSafeInteger(pid) || pid === process.pid) continue;
    const file = path.join(dir, entry);
    let startTime = '';
    try {
      startTime = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // dropped meanwhile
    }
    if (startTime && processRunning(pid, startTime)) live = true;
    else fs.rmSync(file, { force: true });
  }
  return live;
}

const RECORD = 'userns.json';
const LOCK = 'userns.lock';

function recordFile(dir: string): string {
  return path.join(dir, RECORD);
}

/** The holder recorded in `dir` when it still runs. */
export function runningHolder(dir: string = userRuntimeDir()): NamespaceHolder | undefined {
  const rec = readJsonFile<NamespaceHolder>(recordFile(dir));
  return rec && Number.isSafeInteger(rec.pid) && processRunning(rec.pid, rec.startTime) ? rec : undefined;
}

function mapArgs(flag: string, ranges: IdRange[]): string[] {
  return ranges.flatMap((r) => [flag, `${r.inside}:${r.outside}:${r.count}`]);
}

/**
 * The user's holder, started when none runs. `say` gets the one line about a single-id map
 * (newuidmap or the subordinate ids missing), once, when the holder is made. With `network`, the
 * registered network helper (holder-network.ts) is asked to connect the holder, new or running (it
 * finds its own keeper running and does nothing then): commands that start containers, build or
 * pull ask for it; the others do not, so they start no keeper.
 */
export async function ensureNamespaceHolder(options: { say: (line: string) => void; dir?: string; network?: boolean }): Promise<ClaimedHolder> {
  const dir = options.dir ?? userRuntimeDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withFileLock(path.join(dir, LOCK), async () => {
    const running = runningHolder(dir);
    const holder = running ?? startHolder(dir, options.say);
    if (options.network) {
      try {
        await network().attach(holder, dir); // rootless networking's hook (holder-network.ts)
      } catch (err) {
        if (!running) {
          process.kill(holder.pid, 'SIGTERM');
          fs.rmSync(recordFile(dir), { force: true });
        }
        throw new RuntimeError('user namespace', `connecting the namespace holder's network: ${(err as Error).message}`, { cause: err });
      }
    }
    return claim(dir, holder);
  });
}

/** Starts a holder and records it in `dir` (under the lock). */
function startHolder(dir: string, say: (line: string) => void): NamespaceHolder {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) throw new RuntimeError('user namespace', 'needs Linux');
  const maps = idMaps(hostIdFacts(uid, gid));
  if (maps.limited) say(`note: ${maps.limited}`);
  const [cmd, args] = hafenRunCommand(['userns-holder', ...mapArgs('--uid-map', maps.uids), ...mapArgs('--gid-map', maps.gids)]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = Number(/^pid (\d+)$/m.exec(r.stdout ?? '')?.[1]);
  if (r.status !== 0 || !Number.isSafeInteger(pid)) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().replace(/^hafen-run: /, '');
    throw new RuntimeError('user namespace', `cannot start the namespace holder: ${why}`);
  }
  const stat = readProcStat(pid);
  if (!stat) throw new RuntimeError('user namespace', `the namespace holder ${pid} ended at once`);
  const holder: NamespaceHolder = { pid, startTime: stat.startTime, ns: { user: `/proc/${pid}/ns/user`, mnt: `/proc/${pid}/ns/mnt`, net: `/proc/${pid}/ns/net` } };
  writeFileAtomic(recordFile(dir), JSON.stringify(holder));
  return holder;
}

/** Whether the user still has projects under `root` (their folders hold what the namespaces carry). */
function hasProjects(root: string): boolean {
  try {
    return fs.readdirSync(path.join(root, 'projects')).length > 0;
  } catch {
    return false;
  }
}

/**
 * Whether any process but the holder itself, the network helper's own (its relay) and zombies is in
 * the holder's user namespace: a command or supervisor still at work there.
 */
function othersInNamespace(holder: NamespaceHolder, own: ReadonlySet<number>): boolean {
  let ns: string;
  try {
    ns = fs.readlinkSync(`/proc/${holder.pid}/ns/user`);
  } catch {
    return false;
  }
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === holder.pid || own.has(Number(entry))) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/user`) !== ns) continue;
    } catch {
      continue; // gone, or not ours to read
    }
    const state = readProcStat(Number(entry))?.state;
    if (state && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/**
 * Whether other processes stay in the holder's namespaces: one that is leaving (a supervisor on
 * standby that its command, refused, dismissed as it exited) is given a moment to go.
 */
async function stillInUse(holder: NamespaceHolder, dir: string): Promise<boolean> {
  const own = new Set(network().processes?.(dir) ?? []);
  for (let waited = 0; othersInNamespace(holder, own); waited += 25) {
    if (waited >= 1000) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/**
 * With no project left, what the runtime keeps besides the image store goes too, so nothing of the
 * user's is left but images: the empty projects and ready folders and a network allocation file holding none.
 */
function tidyIdleState(root: string): void {
  // The folders of projects and of their `ready:` records (ready-records.ts), only when empty.
  for (const folder of ['projects', 'ready']) {
    try {
      fs.rmdirSync(path.join(root, folder));
    } catch {
      // gone, or a project appeared meanwhile
    }
  }
  const allocations = readJsonFile<{ networks?: Record<string, unknown> }>(path.join(root, 'networks', 'allocations.json'));
  if (allocations && Object.keys(allocations.networks ?? {}).length === 0) fs.rmSync(path.join(root, 'networks'), { recursive: true, force: true });
}

/**
 * Stops the holder when no project of the user is left under `root` and no other process is in its
 * namespaces, and removes its record and the runtime folder when that is empty. A holder still
 * needed is left alone.
 */
export async function stopHolderIfIdle(root: string, dir: string = userRuntimeDir()): Promise<boolean> {
  if (!fs.existsSync(recordFile(dir))) return false;
  const stopped = await withFileLock(path.join(dir, LOCK), async () => {
    if (hasProjects(root)) return false;
    if (claimedByOthers(dir)) return false; // handed to a command that is about to join it, or inside
    const holder = runningHolder(dir);
    if (holder && (await stillInUse(holder, dir))) return false; // another command (an `up` about to make its project) is inside
    if (holder) {
      process.kill(holder.pid, 'SIGTERM');
      for (let i = 0; i < 100 && processRunning(holder.pid, holder.startTime); i++) await new Promise((r) => setTimeout(r, 10));
    }
    // The keeper would leave by itself once it sees the holder gone; stopped here so nothing is left when `down` returns.
    await network().detach?.(dir);
    fs.rmSync(recordFile(dir), { force: true });
    // Sockets of supervisors that did not end cleanly (every supervisor lived in the namespace just ended).
    for (const entry of fs.readdirSync(dir)) if (isSupervisorSocketName(entry)) fs.rmSync(path.join(dir, entry), { force: true });
    tidyIdleState(root);
    return true;
  });
  if (stopped) {
    try {
      fs.rmdirSync(dir); // only when empty: another command may have begun meanwhile
    } catch {
      // not empty or gone: left as it is
    }
  }
  return stopped;
}
