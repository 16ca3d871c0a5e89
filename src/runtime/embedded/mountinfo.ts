/** Reads /proc/self/mountinfo: what is mounted where, as this process's mount namespace sees it. */
import fs from 'node:fs';

/** One line of mountinfo (proc(5)), with the octal escapes (`\040` for a space) decoded. */
export interface MountEntry {
  id: number;
  parentId: number;
  /** The path inside the mounted filesystem that is mounted here (`/` for a whole filesystem). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-superblock options, e.g. `rw,memory` for a cgroup v1 hierarchy. */
  superOptions: string[];
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses mountinfo text; lines that do not parse are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 4) continue;
    out.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescape(fields[3]!),
      mountPoint: unescape(fields[4]!),
      fsType: fields[dash + 1]!,
      source: unescape(fields[dash + 2]!),
      superOptions: fields[dash + 3]!.split(','),
    });
  }
  return out;
}

/** The current mounts of this process's mount namespace. */
export function readMountInfo(file = '/proc/self/mountinfo'): MountEntry[] {
  return parseMountInfo(fs.readFileSync(file, 'utf8'));
}

/** The set of mount points now mounted (a path mounted twice appears once). */
export function mountPoints(): Set<string> {
  return new Set(readMountInfo().map((m) => m.mountPoint));
}
