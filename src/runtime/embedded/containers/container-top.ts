/**
 * `stack top` on the embedded runtime: the processes in a container's cgroup, read from /proc, in
 * the columns of `ps -ef` that `docker top` shows (UID PID PPID C STIME TTY TIME CMD), with host
 * pids as Docker gives them.
 */
import fs from 'node:fs';
import os from 'node:os';
import { readCgroupProcs } from '../cgroups/cgroup-files.js';
import type { ProcessTable } from '../../runtime.js';

export const TOP_TITLES = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];

/** Clock ticks per second (USER_HZ): 100 on every Linux architecture Node runs on. */
const HZ = 100;

/** /proc/stat's boot time, in ms since the epoch. */
function bootTimeMs(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
  return line ? Number(line.split(/\s+/)[1]) * 1000 : Date.now() - os.uptime() * 1000;
}

/** uid → name from this host's /etc/passwd (ps shows names the host knows). */
function userNames(): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid && !names.has(Number(uid))) names.set(Number(uid), name);
    }
  } catch {
    // Numbers, then.
  }
  return names;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ps's STIME: `HH:MM` today, else `MonDD`. */
export function startColumn(start: Date, now: Date): string {
  if (start.toDateString() === now.toDateString()) return `${pad2(start.getHours())}:${pad2(start.getMinutes())}`;
  return `${MONTHS[start.getMonth()]}${pad2(start.getDate())}`;
}

/** ps's TIME: cumulative CPU as `[DD-]HH:MM:SS`. */
export function cpuColumn(seconds: number): string {
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86400);
  const hms = `${pad2(Math.floor((s % 86400) / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  return days > 0 ? `${days}-${hms}` : hms;
}

/** ps's TTY from /proc/PID/stat's tty_nr: `pts/N`, `ttyN`, or `?`. */
export function ttyColumn(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return `tty${minor}`;
  return '?';
}

/** One process's row, or undefined when it is gone already. */
function row(pid: number, names: Map<number, string>, bootMs: number, now: Date): string[] | undefined {
  let stat: string;
  let status: string;
  let cmdline: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  const ppid = f[1] ?? '0';
  const ttyNr = Number(f[4] ?? 0);
  const cpuTicks = Number(f[11] ?? 0) + Number(f[12] ?? 0);
  const startMs = bootMs + (Number(f[19] ?? 0) / HZ) * 1000;
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const elapsed = Math.max(1, (now.getTime() - startMs) / 1000);
  const c = Math.floor(((cpuTicks / HZ) / elapsed) * 100);
  const args = cmdline.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  return [
    names.get(uid) ?? String(uid),
    String(pid),
    ppid,
    String(c),
    startColumn(new Date(startMs), now),
    ttyColumn(ttyNr),
    cpuColumn(cpuTicks / HZ),
    args.length > 0 ? args.join(' ') : `[${comm}]`,
  ];
}

/** The processes in the cgroup folder `dir` (one hierarchy of the container's cgroup), by pid. */
export function topOfCgroup(dir: string, now = new Date()): ProcessTable {
  const names = userNames();
  const bootMs = bootTimeMs();
  const pids = readCgroupProcs(dir).sort((a, b) => a - b);
  const processes = pids.map((pid) => row(pid, names, bootMs, now)).filter((r): r is string[] => r !== undefined);
  return { titles: [...TOP_TITLES], processes };
}

/**
 * The processes of a container without a cgroup (rootless without a delegated one, issue 17):
 * its init `pid` and every descendant, found through the parents /proc gives.
 */
export function topOfProcessTree(pid: number, now = new Date()): ProcessTable {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const pids: number[] = [];
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.shift()!;
    pids.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  const names = userNames();
  const bootMs = bootTimeMs();
  const processes = pids.sort((a, b) => a - b).map((p) => row(p, names, bootMs, now)).filter((r): r is string[] => r !== undefined);
  return { titles: [...TOP_TITLES], processes };
}
