/**
 * A container's read-only layers with its snapshot layers (issue 20): after a reset onto a snapshot,
 * the snapshot's layers lie between its image's layers and its writable layer.
 */
import type { Store } from '../store/index.js';
import { imageLayers, type ImageLayers } from '../containers/container-image.js';
import type { ContainerRecord } from '../containers/container-record.js';
import { layerDirsTopFirst } from './layered-volume.js';

/** imageLayers() with the record's snapshot layers on top. */
export function containerLayers(store: Store, record: ContainerRecord, emptyDir: string, cache?: Map<string, string[]>): ImageLayers {
  const image = imageLayers(store, record.image, emptyDir, cache);
  const snapshot = record.snapshotLayers ?? [];
  if (snapshot.length === 0) return image;
  const own = layerDirsTopFirst(store, snapshot, `container ${record.name}`);
  // An image without layers stands on an empty dir, which is not needed under snapshot layers.
  return { ...image, lower: [...own, ...(record.image.digest ? image.lower : [])] };
}

/** The ChainID a new layer of the container goes on: its top snapshot layer, else its image's top layer, else none. */
export function topChainId(store: Store, record: ContainerRecord): string | null {
  const snapshot = record.snapshotLayers ?? [];
  if (snapshot.length > 0) return snapshot[snapshot.length - 1]!;
  if (!record.image.digest) return null;
  return store.images.get(record.image.digest)?.chainIds.at(-1) ?? null;
}
