/** The embedded runtime's content-addressed image store: blobs, unpacked layers, images, build cache. */
import { BlobStore } from './blob-store.js';
import { CacheIndex } from './cache-index.js';
import { ImageStore } from './image-store.js';
import { LayerStore } from './layer-store.js';
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
  const blobs = new BlobStore(paths.blobs);
  const layers = new LayerStore(paths.layers, paths.tmp);
  return { paths, blobs, layers, images: new ImageStore(paths.refs, blobs, layers), cache: new CacheIndex(paths.cache) };
}

export { defaultRoot } from './store-paths.js';
export { normalizeImageName, type StoredImage } from './image-store.js';
export { stepKey, type CacheEntry } from './cache-index.js';
export { prune, type PruneOptions, type PruneResult } from './prune.js';
export type { LayerRecord } from './layer-store.js';
export type { BlobRef, BlobWriter } from './blob-store.js';
export * from './oci-types.js';
export { normalizeContainerConfig, normalizeImageConfig, parseImageConfig } from './normalize-config.js';
