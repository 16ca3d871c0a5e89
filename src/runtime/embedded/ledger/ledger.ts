/**
 * The ledger of a project's system resources. Every mount, veth, bridge, cgroup, process and state
 * folder is written here BEFORE it is made, so `stack down` can remove everything even after the
 * process that made it was killed with SIGKILL. One JSON object per line, appended with O_APPEND; a
 * resource removed is a second line saying so, so the file is a log, never rewritten in place. Not
 * fsynced: a killed process cannot lose what it wrote (the page cache holds it), and what the ledger
 * names does not outlive a host crash either (mounts, veths, bridges, cgroups, processes and rules go
 * with the kernel; the state folders lie inside the project's folder, which cleanup removes whole).
 * An fsync per container start and stop cost more than the rest of the bookkeeping together (issue 16).
 */
import fs from 'node:fs';
import path from 'node:path';

/** A system resource hafen makes. `owner` names the container or network it belongs to, for debugging. */
export type LedgerResource =
  | { kind: 'process'; pid: number; /** /proc/PID/stat field 22, so a reused pid is never killed */ startTime: string }
  | { kind: 'mount'; path: string }
  | { kind: 'veth'; name: string }
  | { kind: 'bridge'; name: string }
  | { kind: 'cgroup'; path: string }
  | { kind: 'netns'; path: string }
  | { kind: 'listener'; address: string }
  /** An iptables rule (its arguments after `-I`/`-D`, chain first), e.g. accepting a bridge's own traffic. */
  | { kind: 'firewall'; rule: string[] }
  | { kind: 'dir'; path: string };

export type LedgerKind = LedgerResource['kind'];

interface LedgerLine {
  op: 'add' | 'del';
  resource: LedgerResource;
  owner?: string;
}

/** A resource's identity: two entries with the same key are the same resource. */
export function resourceKey(r: LedgerResource): string {
  switch (r.kind) {
    case 'process':
      return `process:${r.pid}:${r.startTime}`;
    case 'veth':
    case 'bridge':
      return `${r.kind}:${r.name}`;
    case 'listener':
      return `listener:${r.address}`;
    case 'firewall':
      return `firewall:${r.rule.join(' ')}`;
    case 'mount':
    case 'cgroup':
    case 'netns':
    case 'dir':
      return `${r.kind}:${r.path}`;
    default: {
      const never: never = r;
      throw new Error(`unknown ledger resource ${JSON.stringify(never)}`);
    }
  }
}

export class Ledger {
  constructor(readonly file: string) {}

  /** Writes that `resource` is about to exist; call before making it. */
  add(resource: LedgerResource, owner?: string): void {
    this.addAll([resource], owner);
  }

  /** Writes several resources in one append (container start makes several at once). */
  addAll(resources: LedgerResource[], owner?: string): void {
    this.append(...resources.map((resource): LedgerLine => ({ op: 'add', resource, ...(owner ? { owner } : {}) })));
  }

  /** Writes that `resource` is gone; call after removing it (and verifying). */
  remove(resource: LedgerResource): void {
    this.append({ op: 'del', resource });
  }

  /** Writes that several resources are gone, in one append. */
  removeAll(resources: LedgerResource[]): void {
    this.append(...resources.map((resource): LedgerLine => ({ op: 'del', resource })));
  }

  /** Resources added and not removed, in the order they were added. */
  live(): { resource: LedgerResource; owner?: string }[] {
    const live = new Map<string, { resource: LedgerResource; owner?: string }>();
    for (const line of this.read()) {
      const key = resourceKey(line.resource);
      if (line.op === 'add') live.set(key, { resource: line.resource, owner: line.owner });
      else live.delete(key);
    }
    return [...live.values()];
  }

  /** Compacts the file to the live entries (atomically), e.g. after a cleanup. */
  compact(): void {
    const lines = this.live().map((e) => JSON.stringify({ op: 'add', ...e }) + '\n');
    if (lines.length === 0) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, lines.join(''), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  private append(...lines: LedgerLine[]): void {
    if (lines.length === 0) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, lines.map((l) => JSON.stringify(l) + '\n').join(''));
    } finally {
      fs.closeSync(fd);
    }
  }

  private read(): LedgerLine[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: LedgerLine[] = [];
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      try {
        out.push(JSON.parse(raw) as LedgerLine);
      } catch {
        // A torn last line (killed mid-write) names nothing that was made yet.
      }
    }
    return out;
  }
}

/** The start time of a process (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parens: split after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}
