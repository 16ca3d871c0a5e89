/**
 * Content-addressed blobs: stored under their sha256, verified on the way in, written atomically.
 * An uncompressed layer tar whose files are unpacked in the layer store may be kept as a skeleton
 * instead (see layer-skeletons.ts): it still reads, sizes and lists as the blob it was.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RuntimeError } from '../../../errors.js';
import { isDigest, sha256, type Digest } from '../layers/index.js';
import { tempPath } from './atomic.js';
import { LayerSkeletons } from './layer-skeletons.js';

/** A stored blob's digest and size. */
export interface BlobRef {
  digest: Digest;
  size: number;
}

/** A blob written piece by piece, synchronously (from a tar parser's callbacks, say). */
export interface BlobWriter {
  write(chunk: Buffer): void;
  /** Stores what was written under its digest; refused (and dropped) when `expected` differs. */
  commit(expected?: Digest): BlobRef;
  /** Drops what was written. */
  abort(): void;
}

export class BlobStore {
  /** Layer tars kept as skeletons over their unpacked files (no layer store: none). */
  readonly skeletons: LayerSkeletons | undefined;

  constructor(
    private readonly dir: string,
    layersDir?: string,
  ) {
    this.skeletons = layersDir ? new LayerSkeletons(dir, layersDir) : undefined;
  }

  /** Path of a blob's file (whether or not it exists). */
  path(digest: Digest): string {
    if (!isDigest(digest)) throw new RuntimeError('blob store', `not a sha256 digest: ${digest}`);
    return path.join(this.dir, digest.slice('sha256:'.length));
  }

  has(digest: Digest): boolean {
    return fs.existsSync(this.path(digest)) || this.skeletons?.has(digest) === true;
  }

  /**
   * Stores a stream; when `expected` is given, a stream whose digest differs is refused and
   * nothing is kept (the registry or archive lied, or the bytes were damaged).
   */
  async put(stream: Readable, expected?: Digest): Promise<BlobRef> {
    const tmp = tempPath(path.join(this.dir, 'incoming'));
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(stream, tap, fs.createWriteStream(tmp, { mode: 0o600 }));
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      if (expected && digest !== expected) {
        throw new RuntimeError('blob store', `digest mismatch: expected ${expected}, got ${digest}`);
      }
      fs.renameSync(tmp, this.path(digest));
      return { digest, size };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Starts a blob that arrives in pieces; it appears under its digest only on `commit`. */
  writer(): BlobWriter {
    const tmp = tempPath(path.join(this.dir, 'incoming'));
    const fd = fs.openSync(tmp, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    let open = true;
    const close = (): void => {
      if (open) fs.closeSync(fd);
      open = false;
    };
    return {
      write: (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
      },
      commit: (expected) => {
        try {
          close();
          const digest: Digest = `sha256:${hash.digest('hex')}`;
          if (expected && digest !== expected) {
            throw new RuntimeError('blob store', `digest mismatch: expected ${expected}, got ${digest}`);
          }
          fs.renameSync(tmp, this.path(digest));
          return { digest, size };
        } finally {
          fs.rmSync(tmp, { force: true });
        }
      },
      abort: () => {
        close();
        fs.rmSync(tmp, { force: true });
      },
    };
  }

  /** Stores bytes (a manifest or config) and returns their digest. */
  putBytes(data: Buffer | string): BlobRef {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256(buf);
    const file = this.path(digest);
    if (!fs.existsSync(file)) {
      const tmp = tempPath(file);
      fs.writeFileSync(tmp, buf, { mode: 0o600 });
      fs.renameSync(tmp, file);
    }
    return { digest, size: buf.length };
  }

  /** Reads a small blob (manifest, config) and checks it still hashes to its name. */
  readBytes(digest: Digest): Buffer {
    const buf = fs.readFileSync(this.path(digest));
    if (sha256(buf) !== digest) throw new RuntimeError('blob store', `blob ${digest} is corrupt on disk`);
    return buf;
  }

  readJson<T>(digest: Digest): T {
    return JSON.parse(this.readBytes(digest).toString('utf8')) as T;
  }

  /**
   * The blob's bytes as a stream (a layer kept as a skeleton is rebuilt, its digest checked). The
   * file is opened here, not when the stream first reads: another unpack of the same layer (a build
   * FROM host beside a container of `host`, in this process or another) may replace the tar by its
   * skeleton at any moment, and an open descriptor keeps the bytes it had.
   */
  open(digest: Digest): Readable {
    const file = this.path(digest);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      if (this.skeletons?.has(digest)) return Readable.from(this.skeletons.regenerate(digest));
      // Missing (or unreadable) with no skeleton: the error arrives through the stream, as a read error would.
      return fs.createReadStream(file);
    }
    return fs.createReadStream(file, { fd });
  }

  size(digest: Digest): number {
    const st = fs.statSync(this.path(digest), { throwIfNoEntry: false });
    if (st) return st.size;
    const size = this.skeletons?.size(digest);
    if (size === undefined) throw new RuntimeError('blob store', `blob ${digest} is not in the store`);
    return size;
  }

  /** Up to `n` first bytes of a blob (to tell its compression). */
  head(digest: Digest, n: number): Buffer {
    const file = this.path(digest);
    if (!fs.existsSync(file) && this.skeletons?.has(digest)) return this.skeletons.head(digest, n);
    const buf = Buffer.alloc(n);
    const fd = fs.openSync(file, 'r');
    try {
      return buf.subarray(0, fs.readSync(fd, buf, 0, n, 0));
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Writes a blob's bytes to `target` (a new file). */
  copyTo(digest: Digest, target: string): void {
    const file = this.path(digest);
    if (fs.existsSync(file) || !this.skeletons?.has(digest)) return fs.copyFileSync(file, target);
    const fd = fs.openSync(target, 'wx', 0o600);
    try {
      for (const chunk of this.skeletons.regenerate(digest)) {
        for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Every stored digest, those kept as skeletons included. */
  list(): Digest[] {
    return [
      ...new Set([
        ...fs
          .readdirSync(this.dir)
          .filter((n) => /^[0-9a-f]{64}$/.test(n))
          .map((n) => `sha256:${n}` as Digest),
        ...(this.skeletons?.list() ?? []),
      ]),
    ];
  }

  remove(digest: Digest): void {
    fs.rmSync(this.path(digest), { force: true });
    this.skeletons?.remove(digest);
  }

  /** Bytes the blob takes on disk (a skeleton's, not the tar's, when kept as one). */
  diskSize(digest: Digest): number {
    const st = fs.statSync(this.path(digest), { throwIfNoEntry: false });
    return st ? st.size : (this.skeletons?.diskSize(digest) ?? 0);
  }
}
