/**
 * Unpacked layers, keyed by ChainID, ready for overlayfs to stack. A layer appears in the store by
 * one rename of a finished folder, so an interrupted unpack leaves nothing a later run would trust.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../../../errors.js';
import { applyLayer, chainId, type ApplyOptions, type Digest } from '../layers/index.js';
import { readJsonFile, writeFileAtomic } from './atomic.js';

/** What the store knows of one unpacked layer. */
export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Uncompressed tar size. */
  size: number;
  /** The blob this layer was unpacked from (kept for export and push). */
  blob: Digest;
}

/** How an unpack may be stopped: an abort, or a size the uncompressed layer must not pass. */
export type UnpackOptions = Pick<ApplyOptions, 'signal' | 'limit'>;

const hex = (d: Digest): string => d.slice('sha256:'.length);

export class LayerStore {
  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
    /** Called with each layer unpacked or adopted and the blob it came from, so the store can keep one copy of the two. */
    private readonly onStored: (blob: Digest, record: LayerRecord) => void = () => {},
  ) {}

  /** The folder overlayfs stacks for this layer. */
  diffDir(id: Digest): string {
    return path.join(this.dir, hex(id), 'diff');
  }

  get(id: Digest): LayerRecord | undefined {
    return readJsonFile<LayerRecord>(path.join(this.dir, hex(id), 'layer.json'));
  }

  has(id: Digest): boolean {
    return fs.existsSync(path.join(this.dir, hex(id), 'layer.json'));
  }

  /**
   * Unpacks a layer blob on top of `parent` unless the store has it already. When the image
   * config names the DiffID, a tar that unpacks to another DiffID is refused and nothing is kept.
   */
  async unpack(parent: Digest | null, blob: Digest, open: () => Readable, expectedDiffId?: Digest, opts: UnpackOptions = {}): Promise<LayerRecord> {
    if (expectedDiffId) {
      const known = this.get(chainId(parent, expectedDiffId));
      if (known) return this.stored(blob, known);
    }
    const work = this.workDir();
    try {
      const applied = await applyLayer(open(), path.join(work, 'diff'), opts);
      if (expectedDiffId && applied.diffId !== expectedDiffId) {
        throw new RuntimeError(`layer ${blob}`, `unpacks to DiffID ${applied.diffId}, but the image config says ${expectedDiffId}`);
      }
      return this.stored(blob, this.commit(work, { chainId: chainId(parent, applied.diffId), diffId: applied.diffId, parent, size: applied.size, blob }));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  /**
   * Adopts a finished folder (a build step's upper dir, already in overlayfs form) as the layer
   * `diffId` on top of `parent`. The folder is moved, not copied.
   */
  adopt(parent: Digest | null, diffId: Digest, size: number, blob: Digest, folder: string): LayerRecord {
    const id = chainId(parent, diffId);
    const known = this.get(id);
    if (known) return this.stored(blob, known);
    const work = this.workDir();
    try {
      fs.renameSync(folder, path.join(work, 'diff'));
      return this.stored(blob, this.commit(work, { chainId: id, diffId, parent, size, blob }));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  /** Every committed layer. */
  list(): LayerRecord[] {
    return fs
      .readdirSync(this.dir)
      .map((name) => readJsonFile<LayerRecord>(path.join(this.dir, name, 'layer.json')))
      .filter((r): r is LayerRecord => r !== undefined);
  }

  /** Removes a layer: first out of sight by a rename, then from disk. */
  remove(id: Digest): void {
    const from = path.join(this.dir, hex(id));
    if (!fs.existsSync(from)) return;
    const trash = this.workDir();
    fs.rmSync(trash, { recursive: true, force: true });
    fs.renameSync(from, trash);
    fs.rmSync(trash, { recursive: true, force: true });
  }

  /** Bytes used on disk by a layer's unpacked files (for `stack images`). */
  diskUsage(id: Digest): number {
    let total = 0;
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        const st = fs.lstatSync(p);
        total += st.blocks * 512;
        if (e.isDirectory()) walk(p);
      }
    };
    walk(this.diffDir(id));
    return total;
  }

  private stored(blob: Digest, record: LayerRecord): LayerRecord {
    this.onStored(blob, record);
    return record;
  }

  private workDir(): string {
    const dir = path.join(this.tmpDir, `layer-${process.pid}-${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  /** Writes the record and renames the work folder into place; a racing twin's result wins. */
  private commit(work: string, record: LayerRecord): LayerRecord {
    writeFileAtomic(path.join(work, 'layer.json'), JSON.stringify(record));
    const target = path.join(this.dir, hex(record.chainId));
    try {
      fs.renameSync(work, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
    return this.get(record.chainId) ?? record;
  }
}
