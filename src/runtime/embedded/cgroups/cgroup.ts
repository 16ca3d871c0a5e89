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
import { cgroupPids, removeCgroupDirs, type RemoveTimeouts } from './remove-cgroup.js';

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

  /** SIGKILLs what is left, removes the directories (and an empty `hafen/<project>`), then tells the ledger. */
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

/** Enables the v2 controllers down to the parent of `name`, skipping those already enabled. */
function enableSubtree(layout: CgroupLayout, name: string): void {
  for (const w of subtreeWrites(layout, name)) {
    fs.mkdirSync(w.dir, { recursive: true });
    const enabled = new Set((readCgroupFile(w.dir, 'cgroup.subtree_control') ?? '').split(/\s+/));
    const missing = w.value.split(' ').filter((c) => !enabled.has(c.slice(1)));
    if (missing.length > 0) writeCgroupFile(w.dir, w.file, missing.join(' '));
  }
}

/** Makes the leaf directories; a leftover empty leaf is replaced, a sibling's concurrent rmdir of the parent retried. */
function makeDirs(cgroup: Cgroup): void {
  for (let attempt = 0; ; attempt++) {
    try {
      enableSubtree(cgroup.layout, cgroup.name);
      for (const dir of cgroup.dirs) {
        if (fs.existsSync(dir)) fs.rmdirSync(dir);
        fs.mkdirSync(dir, { recursive: true });
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
  }
}

/** Removes the (still empty) directories of a cgroup whose creation failed, and forgets them. */
function undo(cgroup: Cgroup, ledger: Ledger): void {
  for (const dir of cgroup.dirs) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Left for cleanupLedger, which the ledger entry still points at.
    }
  }
  const gone = cgroup.resources().filter((r) => r.kind === 'cgroup' && !fs.existsSync(r.path));
  ledger.removeAll(gone);
}

/**
 * Creates the cgroup `name` (`hafen/<project>/<container>`) with `limits`: ledger entries first, then
 * the directories (one per v1 hierarchy, or one v2 directory with its parents' controllers enabled),
 * then the limit files.
 */
export function createCgroup(
  ledger: Ledger,
  name: string,
  limits: CgroupLimits = {},
  options: { layout?: CgroupLayout; owner?: string } = {},
): Cgroup {
  const resource = `cgroup ${name}`;
  if (!NAME.test(name)) throw new RuntimeError(resource, 'a container cgroup is named hafen/<project>/<container>');
  const bad = invalidLimit(limits);
  if (bad) throw new RuntimeError(resource, bad);
  const layout = options.layout ?? detectCgroups();
  const unsupported = unsupportedLimits(layout, limits);
  if (unsupported.length > 0) throw new RuntimeError(resource, `cannot set ${unsupported.join(', ')}`);
  const cgroup = new Cgroup(name, layout, ledger);
  if (cgroup.dirs.length === 0) throw new RuntimeError(resource, 'no cgroup hierarchy is mounted on this host');
  ledger.addAll(cgroup.resources(), options.owner);
  try {
    makeDirs(cgroup);
    for (const w of limitWrites(layout, name, limits)) {
      try {
        applyWrite(w);
      } catch (err) {
        throw new Error(`writing ${w.value} to ${path.join(w.dir, w.file)}: ${(err as Error).message}`, { cause: err });
      }
    }
  } catch (err) {
    undo(cgroup, ledger);
    throw new RuntimeError(resource, (err as Error).message, { cause: err });
  }
  return cgroup;
}

/** The handle of an existing cgroup `name` (made earlier, maybe by another process), for stats and removal. */
export function openCgroup(name: string, options: { layout?: CgroupLayout; ledger?: Ledger } = {}): Cgroup {
  return new Cgroup(name, options.layout ?? detectCgroups(), options.ledger);
}
