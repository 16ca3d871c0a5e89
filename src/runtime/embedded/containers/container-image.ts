/**
 * A container's image: resolved by name at create (`host` is made on demand, `scratch` is empty,
 * anything else must be in the store, or the error says how to get it), and its layer folders
 * read back by digest at start, top-most first as overlayfs stacks them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { resolveImage } from '../builder/base-images.js';
import { hostBindPaths, isHostBased } from '../builder/host-image.js';
import type { Store } from '../store/index.js';
import type { RecordImage } from './container-record.js';

/** The name of the empty image. */
export const SCRATCH = 'scratch';

/** Resolves the image a container is created from. */
export async function resolveContainerImage(store: Store, ref: string): Promise<RecordImage> {
  if (ref === SCRATCH) return { ref, hostBased: false, config: {} };
  const { image } = await resolveImage(store, ref);
  return { ref, digest: image.manifestDigest, id: image.manifest.config.digest, hostBased: isHostBased(image.config), config: image.config.config ?? {} };
}

/** What the overlay of a container stacks, and the host paths it binds read-only. */
export interface ImageLayers {
  /** Top-most first. */
  lower: string[];
  hostReadOnly: string[];
}

/**
 * The layers of a container's image; `emptyDir` (made when needed) stands in for an image without
 * layers, as overlayfs needs at least one lower dir. `cache` keeps them by digest (images are immutable).
 */
export function imageLayers(store: Store, image: RecordImage, emptyDir: string, cache?: Map<string, string[]>): ImageLayers {
  let lower: string[] = [];
  if (image.digest) {
    const known = cache?.get(image.digest);
    if (known && known.every((dir) => fs.existsSync(dir))) {
      lower = known;
    } else {
      const stored = store.images.get(image.digest);
      if (!stored) throw new RuntimeError(`image ${image.ref}`, `no longer in the image store (${image.digest}); build or import it again, then recreate the container`);
      lower = [...stored.layerDirs].reverse();
      cache?.set(image.digest, lower);
    }
  }
  if (lower.length === 0) {
    fs.mkdirSync(emptyDir, { recursive: true, mode: 0o755 });
    lower = [path.resolve(emptyDir)];
  }
  return { lower, hostReadOnly: image.hostBased ? hostBindPaths() : [] };
}
