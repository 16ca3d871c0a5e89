/** What saving an image needs from the store: its documents, and per layer the blob, DiffID and tar size. */
import { RuntimeError } from '../../../errors.js';
import { isHostBased } from '../builder/host-image.js';
import type { Digest } from '../layers/index.js';
import { normalizeImageName, type Store, type StoredImage } from '../store/index.js';

/** One layer to write out. */
export interface ExportedLayer {
  /** The stored blob (tar, tar+gzip or tar+zstd) and its size. */
  blob: Digest;
  blobSize: number;
  mediaType: string;
  diffId: Digest;
  chainId: Digest;
  /** Uncompressed tar size. */
  size: number;
}

/** An image ready to be written out. */
export interface ExportedImage {
  image: StoredImage;
  /** The config exactly as stored; its digest is the image id. */
  config: Buffer;
  layers: ExportedLayer[];
  /** `name:tag` when the image was asked for by name; undefined when by digest. */
  name?: string;
}

/** Gathers an image for saving; refuses images that are missing, broken, or stand on the host's directories. */
export function exportedImage(store: Store, imageName: string): ExportedImage {
  const what = `image ${imageName}`;
  const image = store.images.get(imageName);
  if (!image) throw new RuntimeError(what, 'no such image in the store');
  if (isHostBased(image.config)) {
    throw new RuntimeError(what, "it stands on the host's directories (image: host), which are not in the image; only self-contained images can be saved");
  }
  const diffIds = image.config.rootfs.diff_ids;
  if (image.manifest.layers.length !== diffIds.length) throw new RuntimeError(what, `its manifest has ${image.manifest.layers.length} layers, its config ${diffIds.length}`);
  const layers = diffIds.map((diffId, i): ExportedLayer => {
    const chainId = image.chainIds[i]!;
    const record = store.layers.get(chainId);
    if (!record) throw new RuntimeError(what, `layer ${chainId} is missing from the store`);
    const desc = image.manifest.layers[i]!;
    if (!store.blobs.has(desc.digest)) throw new RuntimeError(what, `layer blob ${desc.digest} is missing from the store; pull, import or build the image again`);
    return { blob: desc.digest, blobSize: desc.size, mediaType: desc.mediaType, diffId, chainId, size: record.size };
  });
  const config = store.blobs.readBytes(image.manifest.config.digest);
  return { image, config, layers, ...(imageName.startsWith('sha256:') ? {} : { name: normalizeImageName(imageName) }) };
}
