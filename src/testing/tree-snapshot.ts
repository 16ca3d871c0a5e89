/**
 * A comparable picture of a directory tree for tests: per path its type, mode, owner, size, mtime
 * (whole seconds), device numbers, link target, content digest, xattrs and hardlink group.
 * Two trees are "the same" when their snapshots are deep-equal.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { lgetxattr, llistxattr } from '../runtime/embedded/native.js';

/** One path's recorded properties. */
export interface NodeSnapshot {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: string;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: string;
  xattrs?: Record<string, string>;
  /** For files with several links: the first path (sorted) that shares the inode. */
  hardlinkOf?: string;
}

/** Options for snapshotTree. */
export interface SnapshotOptions {
  /** Leave out these root-relative paths and everything below them. */
  exclude?: string[];
  /** Record mtimes (default true). */
  mtimes?: boolean;
}

/** Snapshots every path below `root` (not the root itself), keyed by root-relative path. */
export function snapshotTree(root: string, opts: SnapshotOptions = {}): Record<string, NodeSnapshot> {
  const out: Record<string, NodeSnapshot> = {};
  const inodes = new Map<string, string>();
  const excluded = (rel: string) => (opts.exclude ?? []).some((e) => rel === e || rel.startsWith(`${e}/`));
  const walk = (dir: string, prefix: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const rel = prefix ? `${prefix}/${name}` : name;
      if (excluded(rel)) continue;
      const abs = path.join(dir, name);
      const st = fs.lstatSync(abs, { bigint: true });
      const node: NodeSnapshot = {
        type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'socket',
        mode: (st.mode & 0o7777n).toString(8),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtime: Number(st.mtimeNs / 1_000_000_000n) - (st.mtimeNs < 0n && st.mtimeNs % 1_000_000_000n !== 0n ? 1 : 0),
      };
      if (opts.mtimes === false) delete (node as Partial<NodeSnapshot>).mtime;
      if (st.isFile()) {
        node.size = Number(st.size);
        node.sha256 = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
        if (st.nlink > 1n) {
          const key = `${st.dev}:${st.ino}`;
          if (!inodes.has(key)) inodes.set(key, rel);
          node.hardlinkOf = inodes.get(key)!;
        }
      }
      if (st.isSymbolicLink()) node.target = fs.readlinkSync(abs);
      if (st.isCharacterDevice() || st.isBlockDevice()) node.rdev = st.rdev.toString(16);
      const names = llistxattr(abs).sort();
      if (names.length) node.xattrs = Object.fromEntries(names.map((n) => [n, lgetxattr(abs, n)?.toString('hex') ?? '']));
      out[rel] = node;
      if (st.isDirectory()) walk(abs, rel);
    }
  };
  walk(root, '');
  return out;
}
