/**
 * The remote host's cache of build contexts (issue 19): file contents by sha256 under
 * `<root>/build-contexts/blobs`, and per project and image the manifest's hashes of the last
 * context built (`last/`). The CLI asks which hashes are missing and sends only those, in pieces
 * (context-upload.ts); the agent stores them, puts the context's tar back together from the
 * manifest and the blobs, and after the build keeps only what some last context names, so the cache
 * holds one context per project/image.
 *
 * Several commands may build on one host at once, each its own agent: asking which files are
 * missing takes a lease (`leases/<pid>-<start>-<n>.json`, the hashes it was told are here) that
 * keeps them until that build is done, and a collection spares every live lease's files. Both run
 * under one file lock, so no collection falls between a build's lease and its look at the blobs. A
 * lease whose agent is gone (its connection dropped) is stale: the next collection removes it.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { StackError } from '../errors.js';
import { withFileLock } from '../runtime/embedded/network/file-lock.js';
import { ownStartTime, pidExists, processRunning } from '../runtime/embedded/process-info.js';
import type { ManifestEntry, SentContext } from './context-manifest.js';

const HASH = /^[0-9a-f]{64}$/;
const LEASE = /^(\d+)-(t?\d+)-\d+$/;
const PART = /^[0-9a-f]{64}\.(\d+)\.part$/;

/** A piece of a file's bytes on its way to the cache: appended in order; `final` checks the whole against its hash. */
export interface BlobPiece {
  hash: string;
  /** base64 */
  data: string;
  final: boolean;
}

/** What contextMissing answers: the hashes to send, and the lease that keeps the others until the build is done. */
export interface MissingAnswer {
  missing: string[];
  lease: string;
}

/** One host's context cache under a state root. */
export class ContextCache {
  private readonly blobs: string;
  private readonly last: string;
  private readonly leases: string;
  private readonly lock: string;
  /** This agent's leases not yet released. */
  private readonly mine = new Set<string>();
  private next = 0;
  /** Files being received: their part file and the hash of what came so far. */
  private readonly partial = new Map<string, { fd: number; file: string; hash: Hash }>();

  constructor(root: string) {
    const dir = path.join(root, 'build-contexts');
    this.blobs = path.join(dir, 'blobs');
    this.last = path.join(dir, 'last');
    this.leases = path.join(dir, 'leases');
    this.lock = path.join(dir, 'lock');
  }

  private blob(hash: string): string {
    if (!HASH.test(hash)) throw new StackError('E_REMOTE', `not a sha256 of a context file: ${JSON.stringify(hash).slice(0, 80)}`, 1);
    return path.join(this.blobs, hash);
  }

  private leaseFile(lease: string): string {
    if (!LEASE.test(lease)) throw new StackError('E_REMOTE', `not a context lease: ${JSON.stringify(lease).slice(0, 80)}`, 1);
    return path.join(this.leases, `${lease}.json`);
  }

  /** Which of `hashes` are not here; all of them stay until the build that asked releases its lease. */
  async missing(hashes: string[]): Promise<MissingAnswer> {
    for (const h of hashes) this.blob(h);
    return withFileLock(this.lock, () => {
      const lease = `${process.pid}-${ownStartTime()}-${this.next++}`;
      fs.mkdirSync(this.leases, { recursive: true });
      fs.writeFileSync(this.leaseFile(lease), JSON.stringify({ hashes }));
      this.mine.add(lease);
      return { missing: hashes.filter((h) => !fs.existsSync(this.blob(h))), lease };
    });
  }

  /** Appends pieces the CLI sent; a file's last piece checks it against its name and puts it in place. */
  put(pieces: BlobPiece[]): void {
    fs.mkdirSync(this.blobs, { recursive: true });
    for (const p of pieces) {
      let open = this.partial.get(p.hash);
      if (!open) {
        const file = `${this.blob(p.hash)}.${process.pid}.part`;
        open = { fd: fs.openSync(file, 'w', 0o600), file, hash: createHash('sha256') };
        this.partial.set(p.hash, open);
      }
      const body = Buffer.from(p.data, 'base64');
      fs.writeSync(open.fd, body);
      open.hash.update(body);
      if (!p.final) continue;
      fs.closeSync(open.fd);
      this.partial.delete(p.hash);
      if (open.hash.digest('hex') !== p.hash) {
        fs.rmSync(open.file, { force: true });
        throw new StackError('E_REMOTE', `a context file sent as ${p.hash.slice(0, 12)} does not have that hash`, 1);
      }
      fs.renameSync(open.file, this.blob(p.hash));
    }
  }

  /** The context's tar, put back together from the manifest and the blobs. */
  tarOf(entries: ManifestEntry[]): AsyncIterable<Buffer> {
    for (const e of entries) if (e.type === 'file' && !fs.existsSync(this.blob(e.hash ?? ''))) throw new StackError('E_REMOTE', `the context file ${e.name} is missing from the cache there; build again`, 1);
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

  /** Records `sent` as the last context of its key, releases its lease, and drops blobs nothing names. */
  async remember(sent: SentContext): Promise<void> {
    const hashes = [...new Set(sent.entries.flatMap((e) => (e.hash ? [e.hash] : [])))];
    fs.mkdirSync(this.last, { recursive: true });
    const file = path.join(this.last, `${createHash('sha256').update(sent.key).digest('hex').slice(0, 32)}.json`);
    fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify({ key: sent.key, hashes }));
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
    await this.release(sent.lease);
  }

  /** Lets go of a build's lease (done or failed), then collects. */
  async release(lease: string): Promise<void> {
    fs.rmSync(this.leaseFile(lease), { force: true });
    this.mine.delete(lease);
    await withFileLock(this.lock, () => this.collect());
  }

  /** Lets go of everything this agent holds (its connection ended): leases, files half received. */
  releaseAll(): void {
    for (const p of this.partial.values()) {
      fs.closeSync(p.fd);
      fs.rmSync(p.file, { force: true });
    }
    this.partial.clear();
    for (const lease of this.mine) fs.rmSync(this.leaseFile(lease), { force: true });
    this.mine.clear();
  }

  /** Hashes some live lease or last context names; stale leases and part files of gone agents go. */
  private collect(): void {
    const kept = new Set<string>();
    const read = (file: string): string[] | undefined => {
      try {
        return (JSON.parse(fs.readFileSync(file, 'utf8')) as { hashes: string[] }).hashes;
      } catch {
        return undefined;
      }
    };
    for (const f of readdir(this.leases)) {
      const m = f.endsWith('.json') ? LEASE.exec(f.slice(0, -5)) : null;
      if (!m) continue;
      if (!processRunning(Number(m[1]), m[2]!)) fs.rmSync(path.join(this.leases, f), { force: true });
      else for (const h of read(path.join(this.leases, f)) ?? []) kept.add(h); // gone meanwhile: released
    }
    for (const f of readdir(this.last).filter((f) => f.endsWith('.json'))) {
      const hashes = read(path.join(this.last, f));
      if (!hashes) return; // unreadable: nothing is dropped this time
      for (const h of hashes) kept.add(h);
    }
    for (const b of readdir(this.blobs)) {
      const part = PART.exec(b);
      if (part && Number(part[1]) !== process.pid && !pidExists(Number(part[1]))) fs.rmSync(path.join(this.blobs, b), { force: true });
      if (HASH.test(b) && !kept.has(b)) fs.rmSync(path.join(this.blobs, b), { force: true });
    }
  }
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
