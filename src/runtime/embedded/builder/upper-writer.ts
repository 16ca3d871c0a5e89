/**
 * Writes files into a step's fresh upper dir as if through the overlay of the image's layers,
 * without mounting it: destinations are resolved inside the image (a symlink in the image is
 * followed, never out of it), a parent that exists below is copied up with its metadata (so
 * /tmp stays 1777), a missing one is created (0755, the step's owner), as Docker creates it.
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import { LayeredView } from './layered-view.js';
import type { Owner } from './user-lookup.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fs.constants;
const CHUNK = 1 << 20;

/** Metadata for something written. */
export interface WriteMeta {
  mode: number;
  owner: Owner;
  /** Seconds since the epoch. */
  mtime: number;
}

export class UpperWriter {
  /** What the image looks like now: the upper dir over the lower layers. */
  readonly merged: LayeredView;
  private readonly lower: LayeredView;
  private readonly dirTimes = new Map<string, number>();

  constructor(
    readonly upperDir: string,
    lowerDirs: readonly string[],
    private readonly now = Math.floor(Date.now() / 1000),
  ) {
    this.lower = new LayeredView(lowerDirs, { name: 'the image' });
    this.merged = new LayeredView([upperDir, ...lowerDirs], { name: 'the image' });
  }

  /** An image path resolved inside the image (symlinks followed; the last one only when `followLast`). */
  resolve(path: string, followLast = true): string {
    return this.merged.resolve(path, followLast);
  }

  /** Host path in the upper dir of a resolved, root-relative path. */
  abs(rel: string): string {
    return rel === '' ? this.upperDir : `${this.upperDir}/${rel}`;
  }

  /**
   * Makes the resolved path `rel` a directory in the upper dir, and its parents: copied up from
   * below with their metadata when they exist there, else created 0755 for `owner`.
   */
  ensureDir(rel: string, owner: Owner): void {
    let cur = '';
    for (const comp of rel.split('/').filter(Boolean)) {
      cur = cur === '' ? comp : `${cur}/${comp}`;
      const st = fs.lstatSync(this.abs(cur), { throwIfNoEntry: false });
      if (st?.isDirectory()) continue;
      if (st) throw new RuntimeError('the image', `/${cur} is not a directory`);
      const below = this.lower.lstat(cur);
      if (below && !below.stats.isDirectory()) throw new RuntimeError('the image', `/${cur} is not a directory`);
      const meta = below
        ? { mode: below.stats.mode & 0o7777, owner: { uid: below.stats.uid, gid: below.stats.gid }, mtime: Math.floor(below.stats.mtimeMs / 1000) }
        : { mode: 0o755, owner, mtime: this.now };
      this.makeDir(cur, meta);
    }
  }

  /**
   * A directory at the resolved `rel` with `meta`. An existing one keeps its metadata when
   * `keepExisting` (the top of a COPY into an existing directory, as BuildKit does).
   */
  dir(rel: string, meta: WriteMeta, keepExisting: boolean): void {
    if (rel === '') return; // the root's metadata is not the layer's to change
    this.ensureDir(parentOf(rel), meta.owner);
    const st = fs.lstatSync(this.abs(rel), { throwIfNoEntry: false });
    if (st && !st.isDirectory()) fs.rmSync(this.abs(rel), { force: true });
    // Into an existing directory: nothing to do until something is written below it (then it is copied up).
    if (keepExisting && (st?.isDirectory() || this.lower.lstat(rel)?.stats.isDirectory())) return;
    this.makeDir(rel, meta); // a file below is hidden by the new directory
  }

  /** A regular file at the resolved `rel`, with the content of the host file `from` (read without following symlinks) or `content`. */
  file(rel: string, from: { abs: string } | { content: string }, meta: WriteMeta): void {
    this.ensureDir(parentOf(rel), meta.owner);
    const path = this.abs(rel);
    if (this.merged.lstat(rel)?.stats.isDirectory()) throw new RuntimeError('the image', `cannot replace the directory /${rel} with a file`);
    fs.rmSync(path, { force: true });
    const fd = fs.openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      if ('content' in from) fs.writeSync(fd, from.content);
      else copyInto(from.abs, fd);
      fs.fchownSync(fd, meta.owner.uid, meta.owner.gid);
      fs.fchmodSync(fd, meta.mode);
      fs.futimesSync(fd, meta.mtime, meta.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A symlink at the resolved `rel` (`rel`'s last component is not followed). */
  symlink(rel: string, target: string, meta: Omit<WriteMeta, 'mode'>): void {
    this.ensureDir(parentOf(rel), meta.owner);
    const path = this.abs(rel);
    if (this.merged.lstat(rel)?.stats.isDirectory()) throw new RuntimeError('the image', `cannot replace the directory /${rel} with a symlink`);
    fs.rmSync(path, { force: true });
    fs.symlinkSync(target, path);
    fs.lchownSync(path, meta.owner.uid, meta.owner.gid);
    fs.lutimesSync(path, meta.mtime, meta.mtime);
  }

  /** Sets directory times last, since writing into a directory changes its mtime. */
  finish(): void {
    for (const [rel, mtime] of this.dirTimes) fs.lutimesSync(this.abs(rel), mtime, mtime);
    this.dirTimes.clear();
  }

  private makeDir(rel: string, meta: WriteMeta): void {
    const path = this.abs(rel);
    try {
      fs.mkdirSync(path, 0o700);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    fs.lchownSync(path, meta.owner.uid, meta.owner.gid);
    fs.chmodSync(path, meta.mode); // just made or checked: a real directory
    this.dirTimes.set(rel, meta.mtime);
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Copies a host file's bytes into an open file. */
function copyInto(src: string, out: number): void {
  const fd = fs.openSync(src, O_RDONLY | O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
      for (let off = 0; off < n; ) off += fs.writeSync(out, buf, off, n - off);
    }
  } finally {
    fs.closeSync(fd);
  }
}
