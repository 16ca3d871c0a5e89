/**
 * The remote host's cache of build contexts (issue 19): file contents by sha256 under
 * `<root>/build-contexts/blobs`, and per project and image the manifest's hashes of the last
 * context built (`last/`). The CLI asks which hashes are missing and sends only those; the agent
 * stores them, puts the context's tar back together from the manifest and the blobs, and after the
 * build keeps only what some last context names, so the cache holds one context per project/image.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { StackError } from '../errors.js';
import type { ManifestEntry, SentContext } from './context-manifest.js';

const HASH = /^[0-9a-f]{64}$/;

/** One host's context cache under a state root. */
export class ContextCache {
  private readonly blobs: string;
  private readonly last: string;
  /** Hashes a build of this connection was told are here: kept until it is done. */
  private readonly pinned = new Map<string, number>();

  constructor(root: string) {
    this.blobs = path.join(root, 'build-contexts', 'blobs');
    this.last = path.join(root, 'build-contexts', 'last');
  }

  private blob(hash: string): string {
    if (!HASH.test(hash)) throw new StackError('E_REMOTE', `not a sha256 of a context file: ${JSON.stringify(hash).slice(0, 80)}`, 1);
    return path.join(this.blobs, hash);
  }

  /** Which of `hashes` are not here; all of them stay until the build that asked releases them. */
  missing(hashes: string[]): string[] {
    for (const h of hashes) this.pinned.set(h, (this.pinned.get(h) ?? 0) + 1);
    return hashes.filter((h) => !fs.existsSync(this.blob(h)));
  }

  /** Stores what the CLI sent, each checked against its name. */
  store(blobs: Record<string, string>): void {
    fs.mkdirSync(this.blobs, { recursive: true });
    for (const [hash, base64] of Object.entries(blobs)) {
      const body = Buffer.from(base64, 'base64');
      if (createHash('sha256').update(body).digest('hex') !== hash) throw new StackError('E_REMOTE', `a context file sent as ${hash.slice(0, 12)} does not have that hash`, 1);
      const tmp = `${this.blob(hash)}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, body);
      fs.renameSync(tmp, this.blob(hash));
    }
  }

  /** The context's tar, put back together from the manifest and the blobs. */
  tarOf(entries: ManifestEntry[]): AsyncIterable<Buffer> {
    for (const e of entries) if (e.type === 'file' && !fs.existsSync(this.blob(e.hash ?? ''))) throw new StackError('E_REMOTE', `the context file ${e.name} is missing from the cache there (another build removed it?); build again`, 1);
    const pack = tar.pack();
    const fill = async (): Promise<void> => {
      for (const e of entries) {
        const header = { name: e.name, type: e.type, mode: e.mode, mtime: new Date(e.mtime), uid: 0, gid: 0 };
        if (e.type === 'file') await pipeline(fs.createReadStream(this.blob(e.hash!)), pack.entry({ ...header, size: e.size ?? fs.statSync(this.blob(e.hash!)).size }));
        else await new Promise<void>((resolve, reject) => pack.entry(e.type === 'symlink' ? { ...header, linkname: e.linkname ?? '' } : header, (err) => (err ? reject(err) : resolve())));
      }
      pack.finalize();
    };
    fill().catch((err: Error) => pack.destroy(err));
    return pack as unknown as AsyncIterable<Buffer>;
  }

  /** Records `sent` as the last context of its key, releases its pins, and drops blobs no last context names. */
  remember(sent: SentContext): void {
    const hashes = [...new Set(sent.entries.flatMap((e) => (e.hash ? [e.hash] : [])))];
    fs.mkdirSync(this.last, { recursive: true });
    const file = path.join(this.last, `${createHash('sha256').update(sent.key).digest('hex').slice(0, 32)}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ key: sent.key, hashes }));
    fs.renameSync(`${file}.tmp`, file);
    this.release(hashes);
    this.collect();
  }

  /** Lets go of the pins of a build (done or failed). */
  release(hashes: string[]): void {
    for (const h of hashes) {
      const n = (this.pinned.get(h) ?? 1) - 1;
      if (n <= 0) this.pinned.delete(h);
      else this.pinned.set(h, n);
    }
  }

  private collect(): void {
    const kept = new Set(this.pinned.keys());
    for (const f of fs.readdirSync(this.last).filter((f) => f.endsWith('.json'))) {
      try {
        for (const h of (JSON.parse(fs.readFileSync(path.join(this.last, f), 'utf8')) as { hashes: string[] }).hashes) kept.add(h);
      } catch {
        // a record being written by another command: its blobs stay this time
        return;
      }
    }
    for (const b of fs.readdirSync(this.blobs)) if (HASH.test(b) && !kept.has(b)) fs.rmSync(path.join(this.blobs, b), { force: true });
  }
}
