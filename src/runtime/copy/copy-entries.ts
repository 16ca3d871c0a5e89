/**
 * What `stack cp` moves, whichever way and on whichever runtime: a walk of a tree (a host folder,
 * a container's root seen through a LayeredView, a tar from the Docker engine) as a stream of
 * entries, each named relative to the copied top. Sinks write them somewhere; see host-sink.ts,
 * tar-entries.ts and the embedded runtime's container-copy.ts.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The kinds of entry a copy carries; anything else (devices, fifos, sockets) is skipped and said. */
export type EntryKind = 'file' | 'dir' | 'symlink';

/** One file-system entry of a copy. */
export interface CopyEntry {
  /** Relative to the copied top, `/`-separated; '' is the top itself; never `..` or absolute. */
  rel: string;
  kind: EntryKind;
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkTarget?: string;
  /** A file's bytes, in a host file (read without following a symlink) … */
  abs?: string;
  /** … or as a stream (from a tar). */
  content?: AsyncIterable<Buffer>;
}

/** Where entries go. `put` is called parents first; `finish` once at the end. */
export interface EntrySink {
  put(entry: CopyEntry): Promise<void>;
  finish(): Promise<void>;
}

/** A tree a copy reads: `lstat` and `readdir` by root-relative path (LayeredView has this shape). */
export interface ReadTree {
  lstat(rel: string): { abs: string; stats: fs.Stats } | undefined;
  readdir(rel: string): string[];
}

/** A host folder as a ReadTree, with no symlink followed below `root`. */
export function hostTree(root: string): ReadTree {
  const abs = (rel: string): string => (rel === '' ? root : path.join(root, rel));
  const within = (rel: string): boolean => !rel.split('/').includes('..');
  return {
    lstat: (rel) => {
      if (!within(rel)) return undefined;
      const stats = fs.lstatSync(abs(rel), { throwIfNoEntry: false });
      return stats && { abs: abs(rel), stats };
    },
    readdir: (rel) => fs.readdirSync(abs(rel)).sort(),
  };
}

/** The kind of a stat'ed entry, or undefined for one a copy skips. */
export function entryKind(st: fs.Stats): EntryKind | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return undefined;
}

/**
 * The entries of `top` (a resolved, root-relative path of `tree`) and everything below it, parents
 * first, names sorted; `skipped` hears of what cannot be copied (a device, a fifo, a socket).
 */
export async function* treeEntries(tree: ReadTree, top: string, skipped: (rel: string) => void = () => {}): AsyncGenerator<CopyEntry> {
  const walk = function* (rel: string): Generator<CopyEntry> {
    const at = rel === '' ? top : top === '' ? rel : `${top}/${rel}`;
    const found = tree.lstat(at);
    if (!found) return;
    const kind = entryKind(found.stats);
    if (!kind) {
      skipped(rel);
      return;
    }
    const st = found.stats;
    yield {
      rel,
      kind,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: Math.floor(st.mtimeMs / 1000),
      ...(kind === 'symlink' ? { linkTarget: fs.readlinkSync(found.abs) } : {}),
      ...(kind === 'file' ? { abs: found.abs } : {}),
    };
    if (kind === 'dir') for (const name of tree.readdir(at)) yield* walk(rel === '' ? name : `${rel}/${name}`);
  };
  yield* walk('');
}

/** Reads a host file's bytes, never through a symlink at its last component. */
export async function* fileBytes(abs: string): AsyncGenerator<Buffer> {
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  const stream = fs.createReadStream('', { fd, autoClose: true });
  for await (const chunk of stream) yield chunk as Buffer;
}

/** Sends every entry of `entries` to `sink`, then finishes it. */
export async function pump(entries: AsyncIterable<CopyEntry>, sink: EntrySink): Promise<void> {
  for await (const e of entries) await sink.put(e);
  await sink.finish();
}
