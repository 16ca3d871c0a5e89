/**
 * Writing a tar file entry by entry, bodies streamed, into a temporary file that replaces the
 * target only when complete (an interrupted save leaves the old file or none, never half of one).
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import { END_OF_ARCHIVE, encodeHeader, padding } from '../layers/tar-format.js';
import { tempPath } from '../store/atomic.js';

/** Entries get these fixed times and owners, so the same image always gives the same archive. */
const FIXED = { uid: 0, gid: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0 } as const;

/** A tar being written to `target`; `commit` ends it and renames it into place, `abort` drops it. */
export class ArchiveWriter {
  private readonly tmp: string;
  private constructor(
    readonly target: string,
    private readonly fh: fs.promises.FileHandle,
    tmp: string,
  ) {
    this.tmp = tmp;
  }

  /** Starts a new archive beside `target` (mode 0644, before umask). */
  static async create(target: string): Promise<ArchiveWriter> {
    const tmp = tempPath(target);
    return new ArchiveWriter(target, await fs.promises.open(tmp, 'wx', 0o644), tmp);
  }

  async dir(name: string): Promise<void> {
    await this.fh.write(encodeHeader({ ...FIXED, name, type: 'dir', mode: 0o755, size: 0 }));
  }

  async file(name: string, data: Buffer | string): Promise<void> {
    const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
    await this.fh.write(Buffer.concat([encodeHeader({ ...FIXED, name, type: 'file', mode: 0o644, size: body.length }), body, Buffer.alloc(padding(body.length))]));
  }

  /** A file whose body streams from `body`, which must carry exactly `size` bytes. */
  async stream(name: string, size: number, body: AsyncIterable<Buffer | Uint8Array>): Promise<void> {
    await this.fh.write(encodeHeader({ ...FIXED, name, type: 'file', mode: 0o644, size }));
    let written = 0;
    for await (const chunk of body) {
      written += chunk.length;
      if (written > size) throw new RuntimeError(`archive ${this.target}`, `${name}: more than the ${size} bytes announced`);
      await this.fh.write(chunk);
    }
    if (written !== size) throw new RuntimeError(`archive ${this.target}`, `${name}: ${written} bytes, not the ${size} announced`);
    await this.fh.write(Buffer.alloc(padding(size)));
  }

  /** Ends the archive, syncs it and renames it over the target. */
  async commit(): Promise<void> {
    try {
      await this.fh.write(END_OF_ARCHIVE);
      await this.fh.sync();
      await this.fh.close();
      fs.renameSync(this.tmp, this.target);
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drops the unfinished archive. */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => {});
    fs.rmSync(this.tmp, { force: true });
  }
}
