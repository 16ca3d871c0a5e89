/**
 * One stored copy of each layer: an uncompressed layer tar whose files are unpacked in the layer
 * store is replaced by its skeleton (layers/tar-skeleton.ts: the tar without its file bodies,
 * gzipped), `blobs/sha256/<hex>.skel`, and rebuilt byte for byte from the unpacked folder when an
 * export or a build reads it. Tars whose bodies are not all in the folder, and compressed blobs
 * (a registry's gzip cannot be made again bit for bit), stay as they came.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { recordSkeleton, regenerateTar, type TarSkeleton } from '../layers/tar-skeleton.js';
import type { Digest } from '../layers/index.js';
import { tempPath } from './atomic.js';

/** A skeleton file: one JSON line, then the gzipped literal bytes. */
interface SkeletonHead {
  size: number;
  digest: Digest;
  /** The ChainID whose folder holds the bodies (any layer with this DiffID has the same files). */
  layer: Digest;
  files: TarSkeleton['files'];
}

const hex = (d: Digest): string => d.slice('sha256:'.length);

/** Layer tars kept as skeletons beside the blobs, their bodies in the layer store's folders. */
export class LayerSkeletons {
  constructor(
    private readonly blobDir: string,
    private readonly layersDir: string,
  ) {}

  private file(digest: Digest): string {
    return path.join(this.blobDir, `${hex(digest)}.skel`);
  }

  /** The skeleton's JSON line, and the rest of the file (the gzipped literal bytes). */
  private readHead(digest: Digest): { head: SkeletonHead; rest: Buffer } | undefined {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(this.file(digest));
    } catch {
      return undefined;
    }
    const nl = buf.indexOf(10);
    return { head: JSON.parse(buf.toString('utf8', 0, nl)) as SkeletonHead, rest: buf.subarray(nl + 1) };
  }

  private read(digest: Digest): (SkeletonHead & { literal: Buffer }) | undefined {
    const found = this.readHead(digest);
    return found && { ...found.head, literal: gunzipSync(found.rest) };
  }

  /** The unpacked folder of a layer with DiffID `digest`: `layer`'s, or any other's with that DiffID. */
  private folder(digest: Digest, layer: Digest): string | undefined {
    const has = (name: string): boolean => fs.existsSync(path.join(this.layersDir, name, 'layer.json'));
    if (has(hex(layer))) return path.join(this.layersDir, hex(layer), 'diff');
    for (const name of fs.readdirSync(this.layersDir)) {
      try {
        const record = JSON.parse(fs.readFileSync(path.join(this.layersDir, name, 'layer.json'), 'utf8')) as { diffId: Digest };
        if (record.diffId === digest) return path.join(this.layersDir, name, 'diff');
      } catch {
        // Not a layer (a half-made one is never trusted).
      }
    }
    return undefined;
  }

  /** True when the blob can be rebuilt: its skeleton and a folder with its files are there. */
  has(digest: Digest): boolean {
    const found = this.readHead(digest);
    return found !== undefined && this.folder(digest, found.head.layer) !== undefined;
  }

  size(digest: Digest): number | undefined {
    return this.readHead(digest)?.head.size;
  }

  diskSize(digest: Digest): number {
    return fs.statSync(this.file(digest), { throwIfNoEntry: false })?.size ?? 0;
  }

  /** The first `n` (≤ 512) bytes of the tar: its first header, always in the skeleton. */
  head(digest: Digest, n: number): Buffer {
    return this.read(digest)?.literal.subarray(0, n) ?? Buffer.alloc(0);
  }

  /** The tar, rebuilt; its digest is checked as it ends. */
  *regenerate(digest: Digest): Generator<Buffer> {
    const skeleton = this.read(digest);
    const folder = skeleton && this.folder(digest, skeleton.layer);
    if (!skeleton || !folder) throw new Error(`layer blob ${digest} is neither stored nor rebuildable`);
    yield* regenerateTar(skeleton, folder, `layer ${digest}`);
  }

  list(): Digest[] {
    return fs
      .readdirSync(this.blobDir)
      .filter((n) => /^[0-9a-f]{64}\.skel$/.test(n))
      .map((n) => `sha256:${n.slice(0, 64)}` as Digest);
  }

  remove(digest: Digest): void {
    fs.rmSync(this.file(digest), { force: true });
  }

  /**
   * Replaces the uncompressed layer tar `blobFile` (DiffID `digest`, unpacked as ChainID `layer`)
   * by its skeleton, once a rebuild from the folder has given the same digest. Returns why it kept
   * the tar, or undefined when it was replaced.
   */
  replace(blobFile: string, digest: Digest, layer: Digest): string | undefined {
    try {
      return this.replaceOrSay(blobFile, digest, layer);
    } catch (err) {
      // Another process may have replaced it meanwhile; either way the tar, if still there, stays.
      return (err as Error).message;
    }
  }

  private replaceOrSay(blobFile: string, digest: Digest, layer: Digest): string | undefined {
    if (fs.existsSync(this.file(digest))) {
      fs.rmSync(blobFile, { force: true });
      return undefined;
    }
    // The blob store verified the tar's digest on the way in; the rebuild below checks it again.
    const skeleton = recordSkeleton(blobFile, digest);
    if ('refused' in skeleton) return skeleton.refused;
    const folder = path.join(this.layersDir, hex(layer), 'diff');
    try {
      for (const _ of regenerateTar(skeleton, folder, `layer ${digest}`));
    } catch (err) {
      return (err as Error).message;
    }
    const head: SkeletonHead = { size: skeleton.size, digest, layer, files: skeleton.files };
    const target = this.file(digest);
    const tmp = tempPath(target);
    try {
      fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`), gzipSync(skeleton.literal)]), { mode: 0o600 });
      fs.renameSync(tmp, target);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    fs.rmSync(blobFile, { force: true });
    return undefined;
  }
}
