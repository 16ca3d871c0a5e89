/**
 * Writes a layer's entries into a directory, safely and synchronously (one tar chunk at a time):
 * every parent is checked to be a real directory (never a symlink) before anything is written
 * below it, nothing is ever written through an existing path (create with O_EXCL, unlink and
 * retry on EEXIST), and hardlinks may only point at files already extracted into the root.
 * Parents once checked are cached for the layer and dropped when this layer replaces them.
 * Assumes nobody else writes into the target meanwhile (it is a fresh dir in hafen's store).
 */
import fs from 'node:fs';
import { lsetxattr, mknod } from '../native.js';
import { LayerError } from './layer-error.js';
import { baseOf, cleanName, isWithin, parentOf } from './safe-path.js';
import type { TarEntry } from './tar-format.js';
import type { TarHandler } from './tar-parser.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX } from './whiteouts.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, S_IFCHR, S_IFBLK, S_IFIFO } = fs.constants;
const OPAQUE_VALUE = Buffer.from('y');

/** What to do with character and block device entries (fifos and whiteouts are always made). */
export type DevicePolicy = 'create' | 'skip' | 'refuse';

/** Options for extraction. */
export interface ExtractOptions {
  /** Device nodes in the tar: created (default, as Docker does), skipped with a warning, or an error. */
  devices?: DevicePolicy;
}

interface OpenFile {
  fd: number;
  entry: TarEntry;
  path: string;
}

const errCode = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code;

/** A TarHandler that materializes entries under `root`. */
export class Extractor implements TarHandler {
  /** Root-relative paths known to be real directories in this extraction ('' is the root). */
  private readonly dirs = new Set<string>(['']);
  /** Directory times, applied last, since creating entries inside a directory changes its mtime. */
  private readonly dirTimes = new Map<string, [number, number]>();
  private file: OpenFile | null = null;
  /** Things skipped on purpose (unsupported xattrs, ignored overlay xattrs, skipped devices). */
  readonly warnings: string[] = [];

  constructor(
    private readonly root: string,
    private readonly opts: ExtractOptions = {},
  ) {}

  entry(e: TarEntry): void {
    try {
      this.apply(e);
    } catch (err) {
      this.closeFile();
      if (err instanceof LayerError) throw err;
      throw new LayerError((err as Error).message, e.name, { cause: err });
    }
  }

  data(chunk: Buffer): void {
    const f = this.file;
    if (!f) return;
    try {
      for (let off = 0; off < chunk.length; ) off += fs.writeSync(f.fd, chunk, off, chunk.length - off);
    } catch (err) {
      this.closeFile();
      throw new LayerError((err as Error).message, f.entry.name, { cause: err });
    }
  }

  entryEnd(): void {
    const f = this.file;
    if (!f) return;
    const e = f.entry;
    try {
      // chown before chmod (chown clears setuid), xattrs after both (chown drops security.capability).
      fs.fchownSync(f.fd, e.uid, e.gid);
      fs.fchmodSync(f.fd, e.mode);
      this.setXattrs(f.path, e);
      fs.futimesSync(f.fd, e.atime ?? e.mtime, e.mtime);
    } catch (err) {
      throw new LayerError((err as Error).message, e.name, { cause: err });
    } finally {
      this.closeFile();
    }
  }

  /** Sets directory times once every entry is in place. */
  finish(): void {
    for (const [rel, [atime, mtime]] of this.dirTimes) fs.lutimesSync(this.abs(rel), atime, mtime);
  }

  /** Releases the file being written, if any (after a failure). */
  closeFile(): void {
    const f = this.file;
    this.file = null;
    if (f) fs.closeSync(f.fd);
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  private apply(e: TarEntry): void {
    const rel = cleanName(e.name);
    const base = baseOf(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(e, rel, base);
    if (rel === '' && e.type !== 'dir') throw new LayerError('only a directory can stand for the layer root', e.name);
    switch (e.type) {
      case 'dir':
        return this.dir(e, rel);
      case 'file': {
        this.ensureDir(parentOf(rel), e.name);
        const path = this.abs(rel);
        const fd = this.create(rel, () => fs.openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600));
        this.file = { fd, entry: e, path };
        return;
      }
      case 'symlink': {
        if (e.linkname === '') throw new LayerError('symlink with an empty target', e.name);
        this.ensureDir(parentOf(rel), e.name);
        const path = this.abs(rel);
        // The target is kept verbatim, absolute or not: it is resolved inside the container's root.
        this.create(rel, () => fs.symlinkSync(e.linkname, path));
        fs.lchownSync(path, e.uid, e.gid);
        this.setXattrs(path, e);
        fs.lutimesSync(path, e.atime ?? e.mtime, e.mtime);
        return;
      }
      case 'link':
        return this.hardlink(e, rel);
      case 'char':
      case 'block':
      case 'fifo':
        return this.node(e, rel);
      default: {
        const never: never = e.type;
        throw new LayerError(`unsupported entry type ${String(never)}`, e.name);
      }
    }
  }

  private dir(e: TarEntry, rel: string): void {
    const path = this.abs(rel);
    if (rel !== '') {
      this.ensureDir(parentOf(rel), e.name);
      try {
        fs.mkdirSync(path, 0o700);
      } catch (err) {
        if (errCode(err) !== 'EEXIST') throw err;
        if (!this.clear(rel, true)) fs.mkdirSync(path, 0o700);
      }
      this.dirs.add(rel);
    }
    fs.lchownSync(path, e.uid, e.gid);
    fs.chmodSync(path, e.mode); // a directory verified just above, never a symlink
    this.setXattrs(path, e);
    this.dirTimes.set(rel, [e.atime ?? e.mtime, e.mtime]);
  }

  private hardlink(e: TarEntry, rel: string): void {
    const target = cleanName(e.linkname, e.name);
    if (target === '') throw new LayerError('hardlink to the layer root', e.name);
    this.ensureDir(parentOf(target), e.name, `hardlink target ${target} is not in this layer`);
    const targetPath = this.abs(target);
    const st = fs.lstatSync(targetPath, { throwIfNoEntry: false });
    if (!st) throw new LayerError(`hardlink target ${target} is not in this layer (it must come before the link)`, e.name);
    if (st.isDirectory()) throw new LayerError(`hardlink target ${target} is a directory`, e.name);
    if (target === rel) return;
    this.ensureDir(parentOf(rel), e.name);
    const path = this.abs(rel);
    this.create(rel, () => fs.linkSync(targetPath, path)); // link(2) never follows a symlink target
  }

  private node(e: TarEntry, rel: string): void {
    if (e.type !== 'fifo') {
      const policy = this.opts.devices ?? 'create';
      if (policy === 'refuse') throw new LayerError(`device nodes are not allowed in this layer (${e.type} ${e.devmajor}:${e.devminor})`, e.name);
      if (policy === 'skip') {
        this.warnings.push(`skipped device node ${rel} (${e.type} ${e.devmajor}:${e.devminor})`);
        return;
      }
    }
    this.ensureDir(parentOf(rel), e.name);
    const path = this.abs(rel);
    const type = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO;
    this.create(rel, () => mknod(path, type | (e.mode & 0o777), e.devmajor, e.devminor));
    fs.lchownSync(path, e.uid, e.gid);
    fs.chmodSync(path, e.mode); // the node just made, not a symlink
    this.setXattrs(path, e);
    fs.lutimesSync(path, e.atime ?? e.mtime, e.mtime);
  }

  /** `.wh.NAME` becomes an overlayfs whiteout (char device 0/0); `.wh..wh..opq` marks its directory opaque. */
  private whiteout(e: TarEntry, rel: string, base: string): void {
    const dir = parentOf(rel);
    if (base === OPAQUE_MARKER) {
      this.ensureDir(dir, e.name);
      lsetxattr(this.abs(dir), OVERLAY_OPAQUE_XATTR, OPAQUE_VALUE);
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return; // aufs bookkeeping, meaningless here
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw new LayerError('malformed whiteout name', e.name);
    this.ensureDir(dir, e.name);
    const target = dir === '' ? name : `${dir}/${name}`;
    const path = this.abs(target);
    this.create(target, () => mknod(path, S_IFCHR, 0, 0));
    fs.lchownSync(path, e.uid, e.gid);
  }

  /**
   * Makes sure `dir` is a chain of real directories under the root, creating missing ones (0755)
   * unless `missing` says why they must already exist. A symlink or a non-directory on the way is an error.
   */
  private ensureDir(dir: string, entry: string, missing?: string): void {
    if (this.dirs.has(dir)) return;
    let cur = '';
    for (const part of dir.split('/')) {
      cur = cur === '' ? part : `${cur}/${part}`;
      if (this.dirs.has(cur)) continue;
      const path = this.abs(cur);
      const st = fs.lstatSync(path, { throwIfNoEntry: false });
      if (!st) {
        if (missing) throw new LayerError(missing, entry);
        fs.mkdirSync(path, 0o755);
        fs.chmodSync(path, 0o755); // whatever the umask
      } else if (st.isSymbolicLink()) {
        throw new LayerError(`${cur} is a symlink; refusing to follow it`, entry);
      } else if (!st.isDirectory()) {
        throw new LayerError(`${cur} is not a directory`, entry);
      }
      this.dirs.add(cur);
    }
  }

  /** Runs `make` to create `rel`; if something is already there, removes it and tries once more. */
  private create<T>(rel: string, make: () => T): T {
    try {
      return make();
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
      this.clear(rel, false);
      return make();
    }
  }

  /** Removes what is at `rel` (recursively for a directory, unless `keepDir`); true if a directory was kept. */
  private clear(rel: string, keepDir: boolean): boolean {
    if (rel === '') throw new LayerError('cannot replace the layer root', rel);
    const path = this.abs(rel);
    const st = fs.lstatSync(path, { throwIfNoEntry: false });
    if (!st) return false;
    if (!st.isDirectory()) {
      fs.unlinkSync(path); // a symlink is removed, never followed
      return false;
    }
    if (keepDir) return true;
    fs.rmSync(path, { recursive: true, force: true });
    for (const d of this.dirs) if (isWithin(d, rel)) this.dirs.delete(d);
    for (const d of this.dirTimes.keys()) if (isWithin(d, rel)) this.dirTimes.delete(d);
    return false;
  }

  private setXattrs(path: string, e: TarEntry): void {
    for (const [name, value] of e.xattrs) {
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) {
        this.warnings.push(`ignored xattr ${name} on ${e.name} (overlayfs internals are never taken from a tar)`);
        continue;
      }
      try {
        lsetxattr(path, name, value);
      } catch (err) {
        const code = errCode(err);
        if (code !== 'EOPNOTSUPP' && code !== 'ENOTSUP') throw err;
        this.warnings.push(`xattr ${name} on ${e.name} not supported by the filesystem`);
      }
    }
  }
}
