/**
 * A container's cgroup: created with its limits (ledger first), joined by the launcher, read for
 * stats and OOM kills, removed with everything in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { Ledger, LedgerResource } from '../ledger/ledger.js';
import { readCgroupFile, readCgroupKey, readCgroupNumber, writeCgroupFile } from './cgroup-files.js';
import { cgroupDirs, detectCgroups, type CgroupLayout, type Controller } from './detect.js';
import { invalidLimit, limitWrites, subtreeWrites, unsupportedLimits, type CgroupLimits, type CgroupWrite } from './limits.js';
import { tuningWrites, unsupportedTuning, type EmbeddedTuning } from './tuning.js';
import { applyDeviceRules, unsupportedDevices, type AttachProgram } from './device-policy.js';
import type { DeviceRule } from './device-rules.js';
import { cgroupPids, removeCgroupDirs, removeEmptyParents, type RemoveTimeouts } from './remove-cgroup.js';

/** What a cgroup reads back; a field is undefined where the host lacks the controller. */
export interface CgroupStats {
  memoryUsage?: number;
  /** The memory limit in bytes; undefined when unlimited. */
  memoryLimit?: number;
  /** CPU time used by all its processes, in nanoseconds. */
  cpuNs?: number;
  pids?: number;
  /** How many times the kernel's OOM killer killed a process in it. */
  oomKills?: number;
}

/** `hafen/<project>/<container>`: three plain path segments. */
const NAME = /^hafen\/[A-Za-z0-9_][A-Za-z0-9_.-]*\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** v1 says "unlimited" with a huge number (PAGE_COUNTER_MAX pages). */
const UNLIMITED_V1 = 2 ** 60;

/** A cgroup of this host, in one directory per hierarchy. */
export class Cgroup {
  /** The directories a process must join (one per v1 hierarchy, or the one v2 directory). */
  readonly dirs: readonly string[];

  constructor(
    /** `hafen/<project>/<container>` */
    readonly name: string,
    readonly layout: CgroupLayout,
    private readonly ledger?: Ledger,
  ) {
    this.dirs = cgroupDirs(layout, name);
  }

  /** The directory holding `controller`'s files, if the host has it. */
  dirOf(controller: Controller): string | undefined {
    const m = this.layout.controllers[controller];
    return m && path.join(m.mount, this.name);
  }

  /** The ledger entries of this cgroup's directories. */
  resources(): LedgerResource[] {
    return this.dirs.map((dir) => ({ kind: 'cgroup', path: dir }));
  }

  /** Moves process `pid` into this cgroup, in every hierarchy. */
  join(pid: number): void {
    for (const dir of this.dirs) writeCgroupFile(dir, 'cgroup.procs', String(pid));
  }

  /** Memory, CPU and pids as the kernel counts them now. */
  stats(): CgroupStats {
    const stats: CgroupStats = {};
    const mem = this.layout.controllers.memory;
    const memDir = this.dirOf('memory');
    if (mem && memDir) {
      if (mem.version === 1) {
        stats.memoryUsage = readCgroupNumber(memDir, 'memory.usage_in_bytes');
        const limit = readCgroupNumber(memDir, 'memory.limit_in_bytes');
        if (limit !== undefined && limit < UNLIMITED_V1) stats.memoryLimit = limit;
      } else {
        stats.memoryUsage = readCgroupNumber(memDir, 'memory.current');
        stats.memoryLimit = readCgroupNumber(memDir, 'memory.max');
      }
    }
    stats.oomKills = this.oomKills();
    const acct = this.layout.controllers.cpuacct;
    const acctDir = this.dirOf('cpuacct');
    if (acct && acctDir) {
      if (acct.version === 1) stats.cpuNs = readCgroupNumber(acctDir, 'cpuacct.usage');
      else {
        const usec = readCgroupKey(acctDir, 'cpu.stat', 'usage_usec');
        if (usec !== undefined) stats.cpuNs = usec * 1000;
      }
    }
    const pidsDir = this.dirOf('pids');
    if (pidsDir) stats.pids = readCgroupNumber(pidsDir, 'pids.current');
    for (const k of Object.keys(stats) as (keyof CgroupStats)[]) if (stats[k] === undefined) delete stats[k];
    return stats;
  }

  /** OOM kills so far: v1 `oom_kill` of memory.oom_control (kernel 4.13+), v2 `oom_kill` of memory.events. */
  private oomKills(): number | undefined {
    const mem = this.layout.controllers.memory;
    const dir = this.dirOf('memory');
    if (!mem || !dir) return undefined;
    return mem.version === 1 ? readCgroupKey(dir, 'memory.oom_control', 'oom_kill') : readCgroupKey(dir, 'memory.events', 'oom_kill');
  }

  /** Whether the kernel's OOM killer has killed a process in this cgroup. */
  oomKilled(): boolean {
    return (this.oomKills() ?? 0) > 0;
  }

  /** Every process in it (any hierarchy), for cleanup. */
  pids(): number[] {
    return cgroupPids(this.dirs);
  }

  /** Whether any of its directories still exists. */
  exists(): boolean {
    return this.dirs.some((d) => fs.existsSync(d));
  }

  /** SIGKILLs what is left, removes the directories (and an empty `hafen/<project>` and `hafen`), then tells the ledger. */
  async remove(timeouts?: RemoveTimeouts): Promise<void> {
    try {
      await removeCgroupDirs(this.dirs, timeouts);
    } catch (err) {
      throw new RuntimeError(`cgroup ${this.name}`, (err as Error).message, { cause: err });
    }
    this.ledger?.removeAll(this.resources());
  }
}

function applyWrite(w: CgroupWrite): void {
  if (w.optional && !fs.existsSync(path.join(w.dir, w.file))) return;
  writeCgroupFile(w.dir, w.file, w.value);
}

/** mkdir that accepts an existing directory; ENOENT (the parent was just removed) is the caller's to retry. */
function mkdirOnce(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * The `hafen/<project>` levels this process made or found: each start tried both levels in every
 * hierarchy again, a dozen failing mkdirs and their exceptions per container (issue 16). One removed
 * since (a `down` elsewhere) makes the container's mkdir fail with ENOENT: makeDirs forgets them
 * and tries again.
 */
const parentsMade = new Set<string>();

/** Makes `hafen` and `hafen/<project>` in every hierarchy, one level at a time (never recreating a removed level behind a later one). */
function makeParents(cgroup: Cgroup): void {
  for (const dir of cgroup.dirs) {
    const project = path.dirname(dir);
    if (parentsMade.has(project)) continue;
    mkdirOnce(path.dirname(project));
    mkdirOnce(project);
    parentsMade.add(project);
  }
}

/** Enables the v2 controllers down to the parent of `name`, skipping those already enabled. */
function enableSubtree(layout: CgroupLayout, name: string): void {
  for (const w of subtreeWrites(layout, name)) {
    mkdirOnce(w.dir);
    const enabled = new Set((readCgroupFile(w.dir, 'cgroup.subtree_control') ?? '').split(/\s+/));
    const missing = w.value.split(' ').filter((c) => !enabled.has(c.slice(1)));
    if (missing.length > 0) writeCgroupFile(w.dir, w.file, missing.join(' '));
  }
}

/** How often creation starts over when another project's or container's removal takes a parent away under it. */
const MAKE_ATTEMPTS = 20;

/**
 * Makes the leaf directories; a leftover empty leaf is replaced. The parents `hafen` and
 * `hafen/<project>` are shared and removed by the last cgroup to go: when that rmdir races with this
 * creation, a mkdir or write fails with ENOENT and creation starts over from the top.
 */
function makeDirs(cgroup: Cgroup): void {
  for (let attempt = 1; ; attempt++) {
    try {
      makeParents(cgroup);
      enableSubtree(cgroup.layout, cgroup.name);
      for (const dir of cgroup.dirs) {
        try {
          fs.mkdirSync(dir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          fs.rmdirSync(dir); // left over: made anew, so no setting of an earlier run stays
          fs.mkdirSync(dir);
        }
      }
      return;
    } catch (err) {
      parentsMade.clear();
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= MAKE_ATTEMPTS) throw err;
    }
  }
}

/** makeDirs with the leaf directories made off the event loop, all at once (the shared parents as makeDirs makes them). */
async function makeDirsAsync(cgroup: Cgroup): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      makeParents(cgroup);
      enableSubtree(cgroup.layout, cgroup.name);
      await Promise.all(
        cgroup.dirs.map(async (dir) => {
          try {
            await fs.promises.mkdir(dir);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
            await fs.promises.rmdir(dir); // left over: made anew, so no setting of an earlier run stays
            await fs.promises.mkdir(dir);
          }
        }),
      );
      return;
    } catch (err) {
      parentsMade.clear();
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= MAKE_ATTEMPTS) throw err;
    }
  }
}

/** Removes the (still empty) directories of a cgroup whose creation failed, and their empty parents, and forgets them. */
function undo(cgroup: Cgroup, ledger: Ledger): void {
  for (const dir of cgroup.dirs) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Left for cleanupLedger, which the ledger entry still points at.
    }
    removeEmptyParents(dir);
  }
  const gone = cgroup.resources().filter((r) => r.kind === 'cgroup' && !fs.existsSync(r.path));
  ledger.removeAll(gone);
}

/** What createCgroup is told besides the name and limits. */
export interface CreateCgroupOptions {
  layout?: CgroupLayout;
  owner?: string;
  tuning?: EmbeddedTuning;
  devices?: readonly DeviceRule[];
  attachProgram?: AttachProgram;
}

/**
 * Creates the cgroup `name` (`hafen/<project>/<container>`) with `limits`: ledger entries first, then
 * the directories (one per v1 hierarchy, or one v2 directory with its parents' controllers enabled),
 * then the limit files, then the device rules when given (`devices`: allow rules over "deny
 * everything"; `attachProgram` loads the v2 device filter, the native addon unless a test injects one).
 */
export function createCgroup(ledger: Ledger, name: string, limits: CgroupLimits = {}, options: CreateCgroupOptions = {}): Cgroup {
  const { cgroup, layout } = declareCgroup(ledger, name, limits, options);
  try {
    makeDirs(cgroup);
    configure(layout, name, limits, options);
  } catch (err) {
    undo(cgroup, ledger);
    throw new RuntimeError(`cgroup ${name}`, (err as Error).message, { cause: err });
  }
  return cgroup;
}

/**
 * createCgroup with the leaf directories made off the event loop, at once (issue 16: a cgroup
 * mkdir waits on the kernel's cgroup lock, which every container start and stop on the host takes;
 * a supervisor starting a hundred containers spent a tenth of its time there).
 */
export async function createCgroupAsync(ledger: Ledger, name: string, limits: CgroupLimits = {}, options: CreateCgroupOptions = {}): Promise<Cgroup> {
  const { cgroup, layout } = declareCgroup(ledger, name, limits, options);
  try {
    await makeDirsAsync(cgroup);
    configure(layout, name, limits, options);
  } catch (err) {
    undo(cgroup, ledger);
    throw new RuntimeError(`cgroup ${name}`, (err as Error).message, { cause: err });
  }
  return cgroup;
}

/** Checks what createCgroup is asked; writes the cgroup's directories to the ledger (before they are made). */
function declareCgroup(ledger: Ledger, name: string, limits: CgroupLimits, options: CreateCgroupOptions): { cgroup: Cgroup; layout: CgroupLayout } {
  const resource = `cgroup ${name}`;
  if (!NAME.test(name)) throw new RuntimeError(resource, 'a container cgroup is named hafen/<project>/<container>');
  const bad = invalidLimit(limits);
  if (bad) throw new RuntimeError(resource, bad);
  const layout = options.layout ?? detectCgroups();
  const unsupported = unsupportedLimits(layout, limits);
  if (unsupported.length > 0) throw new RuntimeError(resource, `cannot set ${unsupported.join(', ')}`);
  const untunable = options.tuning && unsupportedTuning(layout, options.tuning, limits);
  if (untunable) throw new RuntimeError(resource, untunable);
  const noDevices = options.devices && unsupportedDevices(layout);
  if (noDevices) throw new RuntimeError(resource, noDevices);
  const cgroup = new Cgroup(name, layout, ledger);
  if (cgroup.dirs.length === 0) throw new RuntimeError(resource, 'no cgroup hierarchy is mounted on this host');
  ledger.addAll(cgroup.resources(), options.owner);
  return { cgroup, layout };
}

/** Writes the limits, tuning and device rules into the made directories. */
function configure(layout: CgroupLayout, name: string, limits: CgroupLimits, options: CreateCgroupOptions): void {
  for (const w of [...limitWrites(layout, name, limits), ...tuningWrites(layout, name, options.tuning ?? {}, limits)]) {
    try {
      applyWrite(w);
    } catch (err) {
      throw new Error(`writing ${w.value} to ${path.join(w.dir, w.file)}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (options.devices) applyDeviceRules(layout, name, options.devices, options.attachProgram);
}

/** The handle of an existing cgroup `name` (made earlier, maybe by another process), for stats and removal. */
export function openCgroup(name: string, options: { layout?: CgroupLayout; ledger?: Ledger } = {}): Cgroup {
  return new Cgroup(name, options.layout ?? detectCgroups(), options.ledger);
}
