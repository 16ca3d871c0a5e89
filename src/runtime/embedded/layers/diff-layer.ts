/**
 * Exporting an overlayfs upper dir as an OCI layer tar: whiteouts (char devices 0/0) become
 * `.wh.NAME`, opaque directories get `.wh..wh..opq`, everything else is written as it is, with its
 * xattrs. The output is a function of the tree alone: names sorted, numeric ids only, no user or
 * group names, no atimes, mtimes in whole seconds, so the same tree always gives the same DiffID.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { lgetxattr, llistxattr } from '../native.js';
import type { Digest, LayerDigest } from './ids.js';
import { LayerError } from './layer-error.js';
import { END_OF_ARCHIVE, encodeHeader, padding, type EntryHeader } from './tar-format.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, WHITEOUT_PREFIX } from './whiteouts.js';

/** Options for diffLayer. */
export interface DiffOptions {
  /**
   * Every lower dir of the mount the upper dir belonged to. When given, whiteouts and opaque
   * markers that hide nothing in any of them are left out of the tar.
   */
  lowerDirs?: readonly string[];
}

/** A layer tar being produced, and its DiffID and size once the stream has been read to the end. */
export interface LayerTar {
  stream: Readable;
  digest: Promise<LayerDigest>;
}

/** Xattrs that describe the host, not the image, and are never exported. */
const HOST_XATTRS = new Set(['security.selinux']);
/** overlayfs features whose upper dirs are not self-contained; hafen mounts with them off. */
const UNEXPORTABLE = ['trusted.overlay.redirect', 'trusted.overlay.metacopy'];
const BATCH = 512 * 1024;
const READ_CHUNK = 1024 * 1024;
const { O_RDONLY, O_NOFOLLOW } = fs.constants;

/**
 * Produces the layer tar of `upperDir` as a stream (uncompressed). The upper dir must not change
 * while it is read: export a stopped container's or a finished build step's upper dir.
 */
export function diffLayer(upperDir: string, opts: DiffOptions = {}): LayerTar {
  const root = path.resolve(upperDir);
  let settle!: { resolve: (d: LayerDigest) => void; reject: (e: unknown) => void };
  const digest = new Promise<LayerDigest>((resolve, reject) => (settle = { resolve, reject }));
  digest.catch(() => {}); // callers that only await the stream see the error there
  const hash = createHash('sha256');
  let size = 0;
  let finished = false;
  function* counted(): Generator<Buffer> {
    try {
      for (const chunk of new TarWriter(root, opts).chunks()) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      finished = true;
      const diffId: Digest = `sha256:${hash.digest('hex')}`;
      settle.resolve({ diffId, size });
    } catch (err) {
      const error = err instanceof LayerError ? err : new LayerError(`cannot export ${root}: ${(err as Error).message}`, undefined, { cause: err });
      settle.reject(error);
      throw error;
    } finally {
      if (!finished) settle.reject(new LayerError(`export of ${root} was not read to the end`));
    }
  }
  // a few batches of read-ahead, so reading the tree overlaps the consumer's (async) writes
  const stream = Readable.from(counted(), { objectMode: false, highWaterMark: 4 * BATCH });
  return { stream, digest };
}

/**
 * Walks an upper dir and yields the tar bytes in batches: headers and small files are written
 * straight into one batch buffer (no copies), big files are read in 1 MiB pieces of their own.
 */
class TarWriter {
  private readonly hardlinks = new Map<string, string>();
  private batch = Buffer.allocUnsafe(BATCH);
  private used = 0;

  constructor(
    private readonly root: string,
    private readonly opts: DiffOptions,
  ) {}

  *chunks(): Generator<Buffer> {
    yield* this.directory(this.root, '');
    yield* this.add(END_OF_ARCHIVE);
    yield* this.flush();
  }

  /** Hands out the batch so far (if any) and starts a new one. */
  private *flush(): Generator<Buffer> {
    if (this.used === 0) return;
    const out = this.batch.subarray(0, this.used);
    this.batch = Buffer.allocUnsafe(BATCH);
    this.used = 0;
    yield out;
  }

  /** Room for `n` more bytes in the batch (n <= BATCH), flushing first if needed. */
  private *reserve(n: number): Generator<Buffer> {
    if (this.used + n > BATCH) yield* this.flush();
  }

  private *add(buf: Buffer): Generator<Buffer> {
    if (buf.length > BATCH) {
      yield* this.flush(); // a header with very large xattrs
      yield buf;
      return;
    }
    yield* this.reserve(buf.length);
    buf.copy(this.batch, this.used);
    this.used += buf.length;
  }

  private *directory(dirPath: string, dirRel: string): Generator<Buffer> {
    const names = fs.readdirSync(dirPath).sort();
    for (const name of names) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      const abs = `${dirPath}/${name}`;
      const st = fs.lstatSync(abs, { bigint: true });
      if (st.isSocket()) continue; // sockets cannot be archived (Docker skips them too)
      if (st.isCharacterDevice() && st.rdev === 0n) {
        if (this.hiddenInLowers(rel)) yield* this.add(encodeHeader(this.marker(st, join(dirRel, WHITEOUT_PREFIX + name))));
        continue;
      }
      if (name.startsWith(WHITEOUT_PREFIX)) {
        throw new LayerError(`a file named ${WHITEOUT_PREFIX}* cannot be stored in a layer (it would read as a whiteout)`, rel);
      }
      const head = { name: rel, mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), mtime: seconds(st.mtimeNs), size: 0, linkname: '', devmajor: 0, devminor: 0 };
      if (st.isFile() && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = this.hardlinks.get(key);
        if (first !== undefined) {
          // the inode's contents and xattrs travel with its first name
          yield* this.add(encodeHeader({ ...head, type: 'link', linkname: first }));
          continue;
        }
        this.hardlinks.set(key, rel);
      }
      const { xattrs, opaque } = this.xattrs(abs, rel);
      if (st.isDirectory()) {
        yield* this.add(encodeHeader({ ...head, xattrs, type: 'dir' }));
        if (opaque && this.hiddenInLowers(rel)) yield* this.add(encodeHeader(this.marker(st, `${rel}/${OPAQUE_MARKER}`)));
        yield* this.directory(abs, rel);
      } else if (st.isFile()) {
        yield* this.add(encodeHeader({ ...head, xattrs, type: 'file', size: Number(st.size) }));
        yield* this.contents(abs, rel, Number(st.size));
      } else if (st.isSymbolicLink()) {
        yield* this.add(encodeHeader({ ...head, xattrs, type: 'symlink', linkname: fs.readlinkSync(abs) }));
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const [devmajor, devminor] = majorMinor(st.rdev);
        yield* this.add(encodeHeader({ ...head, xattrs, type: st.isCharacterDevice() ? 'char' : 'block', devmajor, devminor }));
      } else if (st.isFIFO()) {
        yield* this.add(encodeHeader({ ...head, xattrs, type: 'fifo' }));
      }
    }
  }

  /** A file's bytes and padding: read into the batch when they fit, else in 1 MiB pieces. */
  private *contents(abs: string, rel: string, size: number): Generator<Buffer> {
    const padded = size + padding(size);
    // O_NOFOLLOW: the name was a regular file when listed; never read through a symlink put there since.
    const fd = fs.openSync(abs, O_RDONLY | O_NOFOLLOW);
    try {
      if (padded <= BATCH) {
        yield* this.reserve(padded);
        readFully(fd, this.batch, this.used, size, 0, rel);
        this.batch.fill(0, this.used + size, this.used + padded);
        this.used += padded;
        return;
      }
      yield* this.flush();
      for (let done = 0; done < size; ) {
        const want = Math.min(READ_CHUNK, size - done);
        const buf = Buffer.allocUnsafe(want + (done + want === size ? padding(size) : 0));
        readFully(fd, buf, 0, want, done, rel);
        buf.fill(0, want);
        done += want;
        yield buf;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The xattrs to export (overlayfs's own and host labels left out), and whether the dir is opaque. */
  private xattrs(abs: string, rel: string): { xattrs: Map<string, Buffer> | undefined; opaque: boolean } {
    let xattrs: Map<string, Buffer> | undefined;
    let opaque = false;
    for (const name of llistxattr(abs)) {
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) {
        if (UNEXPORTABLE.includes(name)) {
          throw new LayerError(`carries ${name}: the overlay was mounted with redirect_dir or metacopy on, which a layer cannot express; mount with redirect_dir=off,metacopy=off`, rel);
        }
        if (name === OVERLAY_OPAQUE_XATTR) opaque = lgetxattr(abs, name)?.toString() === 'y';
        continue;
      }
      if (HOST_XATTRS.has(name)) continue;
      const value = lgetxattr(abs, name);
      if (value) (xattrs ??= new Map()).set(name, value);
    }
    return { xattrs, opaque };
  }

  /** A whiteout or opaque marker: an empty regular file carrying the node's permissions and owner. */
  private marker(st: fs.BigIntStats, name: string): EntryHeader {
    return { name, type: 'file', mode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid), size: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0 };
  }

  /** Whether some lower dir may have something at `rel` (always true without lowerDirs). */
  private hiddenInLowers(rel: string): boolean {
    const lowers = this.opts.lowerDirs;
    if (!lowers) return true;
    return lowers.some((lower) => existsWithoutSymlinks(lower, rel));
  }
}

/** Whether `rel` exists under `root`; a symlink on the way counts as "maybe" (true), to stay on the safe side. */
function existsWithoutSymlinks(root: string, rel: string): boolean {
  let cur = root;
  const parts = rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    cur = `${cur}/${parts[i]}`;
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (!st) return false;
    if (i === parts.length - 1) return true;
    if (st.isSymbolicLink()) return true;
    if (!st.isDirectory()) return false;
  }
  return true;
}

/** Reads exactly `length` bytes at `position` into `buf` at `offset`; a file that shrank is an error. */
function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number, rel: string): void {
  for (let got = 0; got < length; ) {
    const n = fs.readSync(fd, buf, offset + got, length - got, position + got);
    if (n === 0) throw new LayerError(`shrank while being exported (expected ${length + position} bytes)`, rel);
    got += n;
  }
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Whole seconds, rounded down (also before 1970). */
function seconds(ns: bigint): number {
  const s = ns / 1_000_000_000n;
  return Number(ns < 0n && s * 1_000_000_000n !== ns ? s - 1n : s);
}

/** Linux's encoding of a device number into major and minor. */
function majorMinor(rdev: bigint): [number, number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}
