/**
 * What a failed or killed pull leaves, taken away: the blobs and layers a failed pull added (unless
 * a tagged image reached them meanwhile), and the temporary files of downloads whose process died.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chainIds, type Digest } from '../layers/index.js';
import { normalizeImageConfig, type ImageManifest, type Store } from '../store/index.js';

/** Blobs and layers (by ChainID) every tag reaches, with the layers' parents and source blobs. */
function referenced(store: Store): { blobs: Set<Digest>; layers: Set<Digest> } {
  const blobs = new Set<Digest>();
  const layers = new Set<Digest>();
  for (const ref of store.images.list()) {
    try {
      const manifest = store.blobs.readJson<ImageManifest>(ref.manifest);
      blobs.add(ref.manifest).add(manifest.config.digest);
      for (const l of manifest.layers) blobs.add(l.digest);
      for (const id of chainIds(normalizeImageConfig(store.blobs.readJson<unknown>(manifest.config.digest), `image ${ref.name}`).rootfs.diff_ids)) layers.add(id);
    } catch {
      // A damaged image keeps nothing; prune reports it.
    }
  }
  for (const id of [...layers]) {
    for (let cur = store.layers.get(id); cur; cur = cur.parent ? store.layers.get(cur.parent) : undefined) {
      layers.add(cur.chainId);
      blobs.add(cur.blob);
    }
  }
  return { blobs, layers };
}

/** Removes the given blobs and layers unless a tagged image uses them. */
export function discardUnreferenced(store: Store, added: { blobs: Set<Digest>; layers: Set<Digest> }): void {
  if (added.blobs.size === 0 && added.layers.size === 0) return;
  const used = referenced(store);
  for (const id of [...added.layers].reverse()) if (!used.layers.has(id)) store.layers.remove(id);
  for (const digest of added.blobs) if (!used.blobs.has(digest)) store.blobs.remove(digest);
}

const STALE = /^\.tmp-incoming-(\d+)-[0-9a-f]+$/;

/** Whether a process id is alive (one we may not signal counts as alive). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes half-written downloads of processes that are gone (a killed pull); they were never trusted. */
export function sweepStaleDownloads(store: Store): void {
  for (const name of fs.readdirSync(store.paths.blobs)) {
    const m = STALE.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) fs.rmSync(path.join(store.paths.blobs, name), { force: true });
  }
}
