/**
 * The common end of every import: check an image's layer blobs against its config's DiffIDs, unpack
 * them into the layer store (layers already there are skipped), store the config exactly as it came
 * (its digest is the image id, as in Docker) and a manifest; tags are set only once every image of
 * an import is in, so a refused import leaves nothing new that a name reaches.
 */
import fs from 'node:fs';
import { RuntimeError, StackError } from '../../../errors.js';
import { chainId, detectCompression, sha256, type Compression, type Digest } from '../layers/index.js';
import { MediaType, normalizeImageName, parseImageConfig, type BlobRef, type Descriptor, type Store, type StoredImage } from '../store/index.js';
import { ImageLimitError, imageLimits, layerLimit, type ImportControls } from '../image-limits.js';

/** What an import added to the store, so a failed or interrupted one can take it away again. */
export interface AddedContent {
  blobs: Set<Digest>;
  layers: Set<Digest>;
}

/** An image whose blobs are in the blob store, not yet checked or unpacked. */
export interface PendingImage {
  /** The config JSON exactly as the source holds it. */
  config: Buffer;
  /** Layer blobs, base first, each with where it came from (for messages). */
  layers: { blob: BlobRef; source: string }[];
  /** Names to tag it with once the whole import succeeded. */
  names: string[];
}

/** An image stored but not yet tagged. */
export interface CommittedImage {
  image: StoredImage;
  names: string[];
}

const LAYER_TYPE: Record<Compression, string> = { none: MediaType.layer, gzip: MediaType.layerGzip, zstd: MediaType.layerZstd };

/** The config's DiffIDs, checked to be a Linux image with one per layer; a malformed config is refused here, at import. */
function diffIdsOf(bytes: Buffer, layerCount: number, what: string): Digest[] {
  const config = parseImageConfig(bytes, what);
  const diffIds = config.rootfs.diff_ids;
  if (config.os !== '' && config.os !== 'linux') throw new RuntimeError(what, `the image is for ${config.os}, not linux`);
  if (diffIds.length !== layerCount) throw new RuntimeError(what, `the image config lists ${diffIds.length} layers, the manifest ${layerCount}`);
  return diffIds;
}

/** How a stored blob is compressed, from its first bytes. */
function compressionOf(store: Store, blob: Digest, what: string): Compression {
  try {
    return detectCompression(store.blobs.head(blob, 8));
  } catch (err) {
    throw new RuntimeError(what, (err as Error).message, { cause: err });
  }
}

/**
 * Checks and unpacks one image and stores its config and manifest, untagged. Uncompressed layers
 * (what `docker save` writes) are checked against their DiffIDs before anything is unpacked;
 * compressed ones as they unpack. A mismatch refuses the image.
 */
export async function commitImage(store: Store, pending: PendingImage, what: string, controls: ImportControls = {}, added?: AddedContent): Promise<CommittedImage> {
  const limits = controls.limits ?? imageLimits();
  const diffIds = diffIdsOf(pending.config, pending.layers.length, what);
  const compressions = pending.layers.map(({ blob, source }, i) => {
    const compression = compressionOf(store, blob.digest, what);
    if (compression === 'none' && blob.digest !== diffIds[i]) {
      throw new RuntimeError(what, `layer ${i + 1} (${source}) has DiffID ${blob.digest}, but the image config says ${diffIds[i]}: the archive was changed or damaged`);
    }
    return compression;
  });
  let parent: Digest | null = null;
  const descriptors: Descriptor[] = [];
  for (const [i, { blob, source }] of pending.layers.entries()) {
    try {
      const had = store.layers.has(chainId(parent, diffIds[i]!));
      const unpackOptions = { limit: layerLimit(limits, what), ...(controls.signal ? { signal: controls.signal } : {}) };
      const record = await store.layers.unpack(parent, blob.digest, () => store.blobs.open(blob.digest), diffIds[i], unpackOptions);
      if (!had) added?.layers.add(record.chainId);
      parent = record.chainId;
    } catch (err) {
      if (!(err instanceof StackError) || err instanceof ImageLimitError) throw err;
      throw new RuntimeError(what, `layer ${i + 1} (${source}): ${err.message}`, { cause: err });
    }
    descriptors.push({ mediaType: LAYER_TYPE[compressions[i]!], digest: blob.digest, size: blob.size });
  }
  const configDigest = sha256(pending.config);
  const hadConfig = store.blobs.has(configDigest);
  const image = store.images.put(pending.config, descriptors);
  if (!hadConfig) added?.blobs.add(configDigest);
  added?.blobs.add(image.manifestDigest);
  return { image, names: pending.names };
}

/** Tags each committed image with its names (and `extra`, which needs exactly one image). */
export function tagImages(store: Store, committed: CommittedImage[], what: string, extra?: string): StoredImage[] {
  if (extra !== undefined && committed.length !== 1) throw new RuntimeError(what, `holds ${committed.length} images; name one to tag it ${extra}`);
  return committed.map(({ image, names }) => {
    const all = [...new Set([...names, ...(extra !== undefined ? [extra] : [])].map(normalizeImageName))];
    for (const name of all) store.images.tag(name, image.manifestDigest);
    return all.length ? { ...image, name: all[0] } : image;
  });
}
