/** Content-addressed blobs: stored under their sha256, verified on the way in, written atomically. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RuntimeError } from '../../../errors.js';
import { isDigest, sha256, type Digest } from '../layers/index.js';
import { tempPath } from './atomic.js';

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
  constructor(private readonly dir: string) {}

  /** Path of a blob's file (whether or not it exists). */
  path(digest: Digest): string {
    if (!isDigest(digest)) throw new RuntimeError('blob store', `not a sha256 digest: ${digest}`);
    return path.join(this.dir, digest.slice('sha256:'.length));
  }

  has(digest: Digest): boolean {
    return fs.existsSync(this.path(digest));
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

  open(digest: Digest): fs.ReadStream {
    return fs.createReadStream(this.path(digest));
  }

  size(digest: Digest): number {
    return fs.statSync(this.path(digest)).size;
  }

  /** Every stored digest. */
  list(): Digest[] {
    return fs
      .readdirSync(this.dir)
      .filter((n) => /^[0-9a-f]{64}$/.test(n))
      .map((n) => `sha256:${n}` as Digest);
  }

  remove(digest: Digest): void {
    fs.rmSync(this.path(digest), { force: true });
  }
}
