/**
 * Reading a `docker save` archive in one pass: members arrive in any order, so each regular file is
 * hashed as it streams, small ones (manifests, configs) kept in memory and big ones (layer tars)
 * written straight into the blob store; the manifest is resolved once the whole archive is read.
 * The archive is untrusted: names that leave it (absolute, `..`) are refused, and a link is
 * followed only to another regular member of the same archive.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RuntimeError } from '../../../errors.js';
import { LayerError, openLayerBlob, type Digest } from '../layers/index.js';
import type { TarEntry } from '../layers/tar-format.js';
import { TarParser, type TarHandler } from '../layers/tar-parser.js';
import type { BlobRef, BlobWriter, Store } from '../store/index.js';
import { limitBytes } from '../layers/byte-limit.js';
import { ImageLimitError, imageLimits, type ImageLimits, type ImportControls } from '../image-limits.js';
import type { AddedContent } from './commit-image.js';
import { openArchiveFile } from './source-file.js';

/** Members up to this size are kept in memory, while the total stays under the budget. */
const SMALL_MEMBER = 1 << 20;
const MEMORY_BUDGET = 64 << 20;
const MAX_LINK_HOPS = 16;

/** One regular file of the archive. */
export interface ArchiveMember {
  path: string;
  size: number;
  digest: Digest;
  /** The bytes of a small member; a big one is in the blob store under `digest`. */
  data?: Buffer;
}

/** A link entry: symlinks are relative to their own folder, hardlinks to the archive's root. */
interface LinkEntry {
  target: string;
  hard: boolean;
}

/** A member name as a clean relative path; refuses names that leave the archive. */
function cleanName(name: string, what: string): string {
  if (name.startsWith('/')) throw new RuntimeError(what, `member ${JSON.stringify(name)} has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new RuntimeError(what, `member ${JSON.stringify(name)} points outside the archive`);
  return parts.join('/');
}

/** Where a symlink at `from` pointing at `target` lands, inside the archive; refuses anything else. */
function symlinkTarget(from: string, target: string, what: string): string {
  const refuse = () => new RuntimeError(what, `symlink ${JSON.stringify(from)} -> ${JSON.stringify(target)} points outside the archive`);
  if (target.startsWith('/')) throw refuse();
  const parts = from.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) throw refuse();
  }
  return parts.join('/');
}

/** The regular files and links of a read archive. */
export class ArchiveContents {
  constructor(
    private readonly files: ReadonlyMap<string, ArchiveMember>,
    private readonly links: ReadonlyMap<string, LinkEntry>,
    /** Names the archive in messages: `docker-archive /tmp/app.tar`. */
    readonly what: string,
    private readonly added?: AddedContent,
  ) {}

  /** The regular file a name leads to (links followed inside the archive), or undefined. */
  find(name: string): ArchiveMember | undefined {
    let cur = cleanName(name, this.what);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const file = this.files.get(cur);
      if (file) return file;
      const link = this.links.get(cur);
      if (!link) return undefined;
      cur = link.hard ? link.target : symlinkTarget(cur, link.target, this.what);
    }
    throw new RuntimeError(this.what, `member ${JSON.stringify(name)}: too many levels of links`);
  }

  /** Like `find`, but a missing member is an error naming it. */
  get(name: string): ArchiveMember {
    const member = this.find(name);
    if (!member) throw new RuntimeError(this.what, `${JSON.stringify(name)} is not in the archive (or is not a regular file in it)`);
    return member;
  }

  /** A member's bytes (small members only: manifests, indexes, configs). */
  bytes(store: Store, member: ArchiveMember): Buffer {
    if (member.data) return member.data;
    if (member.size > MEMORY_BUDGET) throw new RuntimeError(this.what, `${member.path} is too large (${member.size} bytes) for a JSON document`);
    return store.blobs.readBytes(member.digest);
  }

  /** Puts a member into the blob store (big ones are there already) and returns its reference. */
  store(store: Store, member: ArchiveMember): BlobRef {
    if (member.data) {
      if (!store.blobs.has(member.digest)) this.added?.blobs.add(member.digest);
      return store.blobs.putBytes(member.data);
    }
    if (!store.blobs.has(member.digest)) throw new RuntimeError(this.what, `${member.path} vanished from the blob store while importing`);
    return { digest: member.digest, size: member.size };
  }
}

/** Collects members as the parser hands them over, synchronously. */
class MemberCollector implements TarHandler {
  readonly files = new Map<string, ArchiveMember>();
  readonly links = new Map<string, LinkEntry>();
  private inMemory = 0;
  private current: { path: string; size: number; hash: Hash; chunks?: Buffer[]; writer?: BlobWriter } | undefined;

  constructor(
    private readonly store: Store,
    private readonly what: string,
    private readonly limits: ImageLimits,
    private readonly added?: AddedContent,
  ) {}

  entry(e: TarEntry): void {
    const name = cleanName(e.name, this.what);
    if (e.type === 'dir' || name === '') return;
    if (this.files.has(name) || this.links.has(name)) throw new RuntimeError(this.what, `member ${JSON.stringify(name)} appears twice`);
    switch (e.type) {
      case 'symlink':
        symlinkTarget(name, e.linkname, this.what); // refused now if it leaves the archive
        this.links.set(name, { target: e.linkname, hard: false });
        return;
      case 'link':
        this.links.set(name, { target: cleanName(e.linkname, this.what), hard: true });
        return;
      case 'file': {
        // The header says the size: a member bigger than a layer may be is refused before a byte of it is stored.
        if (e.size > this.limits.maxLayerBytes) throw new ImageLimitError(this.what, 'maxLayerBytes', this.limits.maxLayerBytes, `member ${JSON.stringify(name)} (${e.size} bytes)`);
        const small = e.size <= SMALL_MEMBER && this.inMemory + e.size <= MEMORY_BUDGET;
        if (small) this.inMemory += e.size;
        this.current = { path: name, size: e.size, hash: createHash('sha256'), ...(small ? { chunks: [] } : { writer: this.store.blobs.writer() }) };
        return;
      }
      default:
        throw new RuntimeError(this.what, `member ${JSON.stringify(name)} is a ${e.type} device or fifo, which no image archive holds`);
    }
  }

  data(chunk: Buffer): void {
    const cur = this.current;
    if (!cur) return; // the body of a member that is skipped (a file named like the root)
    cur.hash.update(chunk);
    if (cur.writer) cur.writer.write(chunk);
    else cur.chunks!.push(Buffer.from(chunk)); // the parser's slices are only valid during this call
  }

  entryEnd(): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    const digest: Digest = `sha256:${cur.hash.digest('hex')}`;
    if (cur.writer) {
      if (!this.store.blobs.has(digest)) this.added?.blobs.add(digest);
      cur.writer.commit(digest);
    }
    this.files.set(cur.path, { path: cur.path, size: cur.size, digest, ...(cur.chunks ? { data: Buffer.concat(cur.chunks) } : {}) });
  }

  /** Drops a blob left half-written by a failure. */
  abort(): void {
    this.current?.writer?.abort();
    this.current = undefined;
  }
}

/**
 * Reads the archive at `file` (a tar, possibly gzip- or zstd-compressed as a whole), streaming its
 * big members into `store`'s blobs. Those blobs are unreachable until an image names them, so a
 * refused archive leaves only what the next prune removes.
 */
export async function readArchive(store: Store, file: string, what: string, controls: ImportControls = {}, added?: AddedContent): Promise<ArchiveContents> {
  const limits = controls.limits ?? imageLimits();
  const collector = new MemberCollector(store, what, limits, added);
  const parser = new TarParser(collector);
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      try {
        parser.push(chunk);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    final(done) {
      try {
        parser.finish();
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  try {
    const fd = openArchiveFile(path.resolve(file), what);
    const raw = limitBytes(fs.createReadStream('', { fd, autoClose: true }), limits.maxBytes, () => new ImageLimitError(what, 'maxBytes', limits.maxBytes, 'the archive'), controls.signal);
    const { tar } = await openLayerBlob(raw);
    // A tar compressed as a whole may unpack to far more than it is: its tar is held to the layer limit.
    const unpacked = limitBytes(tar, limits.maxLayerBytes, () => new ImageLimitError(what, 'maxLayerBytes', limits.maxLayerBytes, 'the archive, uncompressed,'), controls.signal);
    await pipeline(Readable.from(unpacked), sink, controls.signal ? { signal: controls.signal } : {});
  } catch (err) {
    collector.abort();
    if (err instanceof RuntimeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw new RuntimeError(what, `cannot read it: ${(err as Error).message}`, { cause: err });
    if (err instanceof LayerError || code?.startsWith('Z_')) throw new RuntimeError(what, `not a readable tar archive: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  return new ArchiveContents(collector.files, collector.links, what, added);
}
