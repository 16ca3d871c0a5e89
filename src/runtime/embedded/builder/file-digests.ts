/**
 * The sha256 of the files COPY/ADD read from a build context, remembered by what lstat says of
 * each (device, inode, size, mtime, ctime), so a rebuild reads only the files that changed. One
 * memo per context folder, in the store beside the build cache. A file changed less than a second
 * before it was hashed is not remembered: a later change in the same clock tick could leave its
 * timestamps as they were (git's "racy clean" problem).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempPath } from '../store/atomic.js';
import type { Store } from '../store/index.js';

/** Bumped when the stat key or the digest changes meaning. */
const FORMAT = 1;
/** Entries kept per context: this build's first, then earlier ones. */
const MAX_ENTRIES = 50_000;
const RACY_MS = 1000;

interface Entry {
  stat: string;
  digest: string;
}

interface MemoFile {
  format: number;
  entries: Record<string, Entry>;
}

const statKey = (st: fs.Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/** Digests of a context's files for one build; `save` keeps what it learnt for the next. */
export class FileDigests {
  private readonly earlier: Map<string, Entry>;
  private readonly now = new Map<string, Entry>();
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly hash: (abs: string) => string,
    private readonly clock: () => number,
  ) {
    this.earlier = new Map(Object.entries(readMemo(file)));
  }

  /** The memo of `contextDir` in `store`; `hash` reads a file, `clock` is the time in ms. */
  static forContext(store: Store, contextDir: string, hash: (abs: string) => string, clock: () => number = Date.now): FileDigests {
    const name = createHash('sha256').update(path.resolve(contextDir)).digest('hex');
    return new FileDigests(path.join(path.dirname(store.paths.cache), 'file-digests', `${name}.json`), hash, clock);
  }

  /** The sha256 (hex) of the regular file `abs`, whose lstat is `st`. */
  digest(abs: string, st: fs.Stats): string {
    const stat = statKey(st);
    const known = this.now.get(abs) ?? this.earlier.get(abs);
    if (known?.stat === stat) {
      this.now.set(abs, known);
      return known.digest;
    }
    const started = this.clock();
    const digest = this.hash(abs);
    if (Math.max(st.mtimeMs, st.ctimeMs) < started - RACY_MS) this.now.set(abs, { stat, digest });
    this.earlier.delete(abs);
    this.changed = true;
    return digest;
  }

  /** Writes the memo when this build learnt something (a lost write only costs re-reading). */
  save(): void {
    if (!this.changed) return;
    const entries: Record<string, Entry> = Object.fromEntries(this.now);
    let count = this.now.size;
    for (const [abs, entry] of this.earlier) {
      if (count >= MAX_ENTRIES) break;
      if (this.now.has(abs)) continue;
      entries[abs] = entry;
      count++;
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = tempPath(this.file);
    try {
      fs.writeFileSync(tmp, JSON.stringify({ format: FORMAT, entries } satisfies MemoFile), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    this.changed = false;
  }
}

/** The entries of a memo file; a missing, damaged or older one holds none. */
function readMemo(file: string): Record<string, Entry> {
  try {
    const memo = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<MemoFile>;
    return memo.format === FORMAT && memo.entries && typeof memo.entries === 'object' ? memo.entries : {};
  } catch {
    return {};
  }
}
