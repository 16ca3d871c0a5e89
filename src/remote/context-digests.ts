/**
 * This machine's memory of a build context's file digests (issue 19): per context folder, each
 * file's sha256 with the size, mtime, ctime, inode and device it had, so the next remote build of
 * the same context reads (and hashes) only the files that changed, as git's index does. A file is
 * remembered only once its times are a while in the past when it was hashed: one written again in
 * the same clock tick would keep its times (git's "racily clean" case), so a file changed just now is
 * read again next time. Kept under the local state root, one small JSON file per context folder.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** How old a file's mtime and ctime must be, when it is hashed, for its digest to be trusted later. */
const SETTLED_MS = 2000;

/** What reading a context cost here. */
export interface DigestStats {
  /** Files of the context. */
  files: number;
  /** Files read and hashed (the others' digests were remembered). */
  read: number;
  bytesRead: number;
}

/** A file's digest and size, as hashed. */
export interface FileDigest {
  hash: string;
  size: number;
}

type Remembered = [signature: string, hash: string, size: number];

function signature(stat: fs.Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}:${stat.dev}`;
}

/** The digests of one context folder's files, loaded from and saved to the state root. */
export class ContextDigests {
  private readonly seen: Record<string, Remembered>;
  private readonly listed: Record<string, Remembered> = {};
  readonly stats: DigestStats = { files: 0, read: 0, bytesRead: 0 };

  private constructor(
    private readonly file: string,
    private readonly now: () => number,
  ) {
    let seen: Record<string, Remembered> = {};
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { files?: Record<string, Remembered> };
      if (parsed.files && typeof parsed.files === 'object') seen = parsed.files;
    } catch {
      // none yet, or unreadable: every file is read this time
    }
    this.seen = seen;
  }

  /** The digests remembered for `contextDir` under state root `root` (`now`: the clock files' times are compared with). */
  static load(root: string, contextDir: string, now: () => number = Date.now): ContextDigests {
    const key = createHash('sha256').update(path.resolve(contextDir)).digest('hex').slice(0, 32);
    return new ContextDigests(path.join(root, 'build-contexts', `${key}.json`), now);
  }

  /** The digest of file `name` at `abs` (its lstat `stat`): remembered when unchanged, else read here. */
  async digest(name: string, abs: string, stat: fs.Stats): Promise<FileDigest> {
    this.stats.files++;
    const sig = signature(stat);
    const known = this.seen[name];
    if (Array.isArray(known) && known[0] === sig) {
      this.listed[name] = known;
      return { hash: known[1], size: known[2] };
    }
    const { hash, size } = await hashFile(abs);
    this.stats.read++;
    this.stats.bytesRead += size;
    const settled = this.now() - Math.max(stat.mtimeMs, stat.ctimeMs) > SETTLED_MS;
    if (settled && size === stat.size) this.listed[name] = [sig, hash, size];
    return { hash, size };
  }

  /** Writes what this build saw (only the files it listed: a removed file is forgotten). */
  save(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ files: this.listed }));
      fs.renameSync(tmp, this.file);
    } catch {
      // a cache: the next build reads the files again
    }
  }
}

/** sha256 and length of a file, read as a stream (never whole in memory). */
export async function hashFile(abs: string): Promise<FileDigest> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(abs)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash: h.digest('hex'), size };
}
