/**
 * The build cache: what each build step produced, keyed by a hash that chains the parent step's
 * key, the instruction as resolved (args and env substituted) and the checksum of the files it
 * reads, so one changed step invalidates exactly it and every step after it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sha256, type Digest } from '../layers/index.js';
import { readJsonFile, writeFileAtomic } from './atomic.js';
import type { ImageConfig } from './oci-types.js';

/** What one cached step left: the image config after it, and the layer it added (if any). */
export interface CacheEntry {
  key: Digest;
  /** The image config after this step (rootfs.diff_ids lists every layer so far). */
  config: ImageConfig;
  /** Blob and size of the layer this step added; absent for steps that change only metadata. */
  layer?: { blob: Digest; size: number };
  created: string;
}

/** The cache key of a step: sha256 over the parent's key and this step's resolved text and inputs. */
export function stepKey(parentKey: Digest | null, instruction: string, inputsChecksum = ''): Digest {
  return sha256(`${parentKey ?? ''}\n${instruction}\n${inputsChecksum}`);
}

export class CacheIndex {
  constructor(private readonly dir: string) {}

  get(key: Digest): CacheEntry | undefined {
    return readJsonFile<CacheEntry>(this.file(key));
  }

  put(entry: CacheEntry): void {
    writeFileAtomic(this.file(entry.key), JSON.stringify(entry));
  }

  list(): CacheEntry[] {
    return fs
      .readdirSync(this.dir)
      .map((f) => readJsonFile<CacheEntry>(path.join(this.dir, f)))
      .filter((e): e is CacheEntry => e !== undefined);
  }

  remove(key: Digest): void {
    fs.rmSync(this.file(key), { force: true });
  }

  private file(key: Digest): string {
    return path.join(this.dir, `${key.slice('sha256:'.length)}.json`);
  }
}
