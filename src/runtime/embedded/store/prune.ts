/**
 * Garbage collection by mark and sweep: everything reachable from a tag, a build-cache entry
 * (unless the cache is pruned too) or a pinned layer (one a container stands on) stays; the rest
 * goes. Reachability is computed each time, so no reference count can drift after a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chainIds, type Digest } from '../layers/index.js';
import type { Store } from './index.js';
import { normalizeImageConfig } from './normalize-config.js';
import type { ImageConfig, ImageManifest } from './oci-types.js';

export interface PruneOptions {
  /** Also drop the build cache (every later build starts from scratch). */
  buildCache?: boolean;
  /** ChainIDs in use by containers; they and their parents stay. */
  pinned?: Iterable<Digest>;
}

export interface PruneResult {
  blobs: number;
  layers: number;
  cacheEntries: number;
  bytes: number;
}

/** Removes what nothing reaches; returns what went. */
export function prune(store: Store, opts: PruneOptions = {}): PruneResult {
  const keepBlobs = new Set<Digest>();
  const keepLayers = new Set<Digest>(opts.pinned ?? []);
  const result: PruneResult = { blobs: 0, layers: 0, cacheEntries: 0, bytes: 0 };

  const markConfig = (config: ImageConfig): void => {
    for (const id of chainIds(config.rootfs.diff_ids)) keepLayers.add(id);
  };
  for (const ref of store.images.list()) {
    if (!store.blobs.has(ref.manifest)) continue;
    keepBlobs.add(ref.manifest);
    const manifest = store.blobs.readJson<ImageManifest>(ref.manifest);
    keepBlobs.add(manifest.config.digest);
    for (const l of manifest.layers) keepBlobs.add(l.digest);
    markConfig(normalizeImageConfig(store.blobs.readJson<unknown>(manifest.config.digest), `image ${ref.name}`));
  }
  for (const entry of store.cache.list()) {
    if (opts.buildCache) {
      store.cache.remove(entry.key);
      result.cacheEntries++;
      continue;
    }
    markConfig(entry.config);
    if (entry.layer) keepBlobs.add(entry.layer.blob);
  }
  // A kept layer keeps its parents, and the blob it was unpacked from.
  const layers = new Map(store.layers.list().map((l) => [l.chainId, l]));
  for (const id of [...keepLayers]) {
    for (let cur = layers.get(id); cur; cur = cur.parent ? layers.get(cur.parent) : undefined) {
      keepLayers.add(cur.chainId);
      keepBlobs.add(cur.blob);
    }
  }

  for (const layer of layers.values()) {
    if (keepLayers.has(layer.chainId)) continue;
    result.bytes += store.layers.diskUsage(layer.chainId);
    store.layers.remove(layer.chainId);
    result.layers++;
  }
  for (const digest of store.blobs.list()) {
    if (keepBlobs.has(digest)) continue;
    result.bytes += store.blobs.diskSize(digest);
    store.blobs.remove(digest);
    result.blobs++;
  }
  // Leftovers of interrupted work are never trusted; they go too.
  for (const name of fs.readdirSync(store.paths.tmp)) {
    fs.rmSync(path.join(store.paths.tmp, name), { recursive: true, force: true });
  }
  return result;
}
