/** The embedded runtime's content-addressed image store: blobs, unpacked layers, images, build cache. */
import fs from 'node:fs';
import { BlobStore } from './blob-store.js';
import { CacheIndex } from './cache-index.js';
import { ImageStore } from './image-store.js';
import { LayerStore, type LayerRecord } from './layer-store.js';
import type { Digest } from '../layers/index.js';
import { defaultRoot, storePaths, type StorePaths } from './store-paths.js';

/** One store on disk, with its parts. */
export interface Store {
  paths: StorePaths;
  blobs: BlobStore;
  layers: LayerStore;
  images: ImageStore;
  cache: CacheIndex;
}

/** Opens (creating when missing) the store under `root` (default: HAFEN_ROOT or /var/lib/hafen). */
export function openStore(root: string = defaultRoot()): Store {
  const paths = storePaths(root);
  const blobs = new BlobStore(paths.blobs, paths.layers);
  const layers = new LayerStore(paths.layers, paths.tmp, (blob, record) => keepOneCopy(blobs, blob, record));
  return { paths, blobs, layers, images: new ImageStore(paths.refs, blobs, layers), cache: new CacheIndex(paths.cache) };
}

/**
 * An uncompressed layer tar (its digest is its DiffID) that is unpacked now lives on as a skeleton
 * over the unpacked files (layer-skeletons.ts); a tar that cannot be rebuilt exactly stays whole.
 */
function keepOneCopy(blobs: BlobStore, blob: Digest, record: LayerRecord): void {
  if (blob !== record.diffId || !blobs.skeletons || !fs.existsSync(blobs.path(blob))) return;
  blobs.skeletons.replace(blobs.path(blob), blob, record.chainId);
}

export { defaultRoot } from './store-paths.js';
export { normalizeImageName, type StoredImage } from './image-store.js';
export { stepKey, type CacheEntry } from './cache-index.js';
export { prune, type PruneOptions, type PruneResult } from './prune.js';
export type { LayerRecord } from './layer-store.js';
export type { BlobRef, BlobWriter } from './blob-store.js';
export * from './oci-types.js';
export { normalizeContainerConfig, normalizeImageConfig, parseImageConfig } from './normalize-config.js';
