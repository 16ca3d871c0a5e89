/**
 * `docker pull` for the embedded store: resolve the reference to this host's image manifest, fetch
 * the config, download the layer blobs the store lacks (in parallel, each verified) while unpacking
 * them in order as they arrive, record the image and tag it under the reference as written and in
 * its familiar form. Layers and blobs already in the store are not downloaded again; a failed pull
 * removes what it added, so nothing of it stays; tags are set last.
 */
import fs from 'node:fs';
import PQueue from 'p-queue';
import { StackError } from '../../../errors.js';
import { chainIds, detectCompression, isDigest, type Digest } from '../layers/index.js';
import { MediaType, normalizeImageName, parseImageConfig, type BlobRef, type Descriptor, type ImageConfig, type Store, type StoredImage } from '../store/index.js';
import { downloadBlob, fetchSmallBlob } from './download-blob.js';
import { discardUnreferenced, sweepStaleDownloads } from './pull-cleanup.js';
import { formatReference, manifestReference, parseReference, repositoryName } from './reference.js';
import { rememberBlobSources } from './blob-sources.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { RegistryError } from './registry-error.js';
import { resolveImageManifest } from './resolve-manifest.js';
import { ImageLimitError, imageLimits, layerLimit, type ImageLimits } from '../image-limits.js';

/** Options of a pull; the client options are for tests (fetch, credentials, env, retry timing). */
export interface PullOptions extends RegistryClientOptions {
  /** Progress lines: `3f4a8b9c0d1e: downloading 1.2 MB / 3.4 MB`. */
  onProgress?: (line: string) => void;
  /** Blobs downloaded at once (default 3, as dockerd). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Milliseconds between two progress lines of one download (default 1000). */
  progressEveryMs?: number;
  /** How much a pull may download and unpack (default: from the environment). */
  limits?: ImageLimits;
}

/** What a pull did. */
export interface PullResult {
  image: StoredImage;
  /** The tags set: the reference as written and its familiar form. */
  names: string[];
  /** What the tag or digest resolved to at the registry (an index, for a multi-platform image). */
  resolvedDigest?: Digest;
  platform?: string;
  /** Layer blobs downloaded, their bytes, and layers the store already had. */
  downloadedBlobs: number;
  downloadedBytes: number;
  reusedLayers: number;
}

const MAX_CONFIG = 8 << 20;
const LAYER_TYPES = { none: MediaType.layer, gzip: MediaType.layerGzip, zstd: MediaType.layerZstd } as const;

const short = (d: Digest): string => d.slice('sha256:'.length, 'sha256:'.length + 12);
const mb = (n: number): string => (n < 1 << 20 ? `${(n / 1024).toFixed(1)} kB` : `${(n / (1 << 20)).toFixed(1)} MB`);

/** Pulls `text` (`busybox:1.36`, `127.0.0.1:5000/app@sha256:…`) into the store. */
export async function pullFromRegistry(store: Store, text: string, opts: PullOptions = {}): Promise<PullResult> {
  const ref = parseReference(text);
  const names = [...new Set([normalizeImageName(text), normalizeImageName(formatReference(ref, 'familiar'))])];
  const say = opts.onProgress ?? (() => {});
  sweepStaleDownloads(store);

  // A digest names immutable content: when the store has it under this name, there is nothing to ask.
  if (ref.digest) {
    const known = loadTagged(store, names[0]!);
    if (known) {
      for (const name of names) store.images.tag(name, known.manifestDigest);
      say(`${formatReference(ref)}: already in the store`);
      return { image: known, names, resolvedDigest: ref.digest, downloadedBlobs: 0, downloadedBytes: 0, reusedLayers: known.chainIds.length };
    }
  }

  const client = new RegistryClient(ref, text, opts);
  const resolved = await resolveImageManifest(client, manifestReference(ref), opts.signal);
  say(`resolved ${formatReference(ref)} to ${resolved.topDigest}${resolved.platform ? ` (${resolved.platform}: ${resolved.manifestDigest})` : ''}`);
  const { manifest } = resolved;
  const config = store.blobs.has(manifest.config.digest)
    ? store.blobs.readBytes(manifest.config.digest)
    : await fetchSmallBlob(client, manifest.config, MAX_CONFIG, { domain: ref.domain, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.retry ? { retry: opts.retry } : {}) });
  const diffIds = diffIdsOf(client, config, manifest.layers.length);
  const ids = chainIds(diffIds);

  // Every blob's size is in the manifest and each download is held to it: too much in all is refused before a byte.
  const limits = opts.limits ?? imageLimits();
  const toDownload = manifest.layers.reduce((sum, d, i) => (store.layers.has(ids[i]!) || store.blobs.has(d.digest) ? sum : sum + d.size), 0);
  if (toDownload > limits.maxBytes) throw new ImageLimitError(text, 'maxBytes', limits.maxBytes, `the download (${toDownload} bytes of layers)`);

  const added = { blobs: new Set<Digest>(), layers: new Set<Digest>() };
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
  const queue = new PQueue({ concurrency: opts.concurrency ?? 3 });
  let downloadedBytes = 0;
  let reusedLayers = 0;

  // Per layer: the blob it unpacks from, there already or on its way.
  const blobs: Promise<BlobRef>[] = manifest.layers.map((d, i) => {
    const layer = store.layers.get(ids[i]!);
    if (layer && store.blobs.has(layer.blob)) {
      reusedLayers++;
      say(`${short(d.digest)}: already exists`);
      return Promise.resolve({ digest: layer.blob, size: store.blobs.size(layer.blob) });
    }
    if (store.blobs.has(d.digest)) return Promise.resolve({ digest: d.digest, size: store.blobs.size(d.digest) });
    return queue.add(async () => {
      signal.throwIfAborted();
      const progress = throttled(say, short(d.digest), d.size, opts.progressEveryMs ?? 1000);
      const blob = await downloadBlob(store, client, d, { signal, domain: ref.domain, onBytes: progress, ...(opts.retry ? { retry: opts.retry } : {}) });
      added.blobs.add(blob.digest);
      downloadedBytes += blob.size;
      say(`${short(d.digest)}: downloaded ${mb(blob.size)}, verified`);
      return blob;
    });
  });
  blobs.forEach((p) => p.catch(() => {})); // each is awaited below; a failure ends the pull there

  try {
    const descriptors: Descriptor[] = [];
    let parent: Digest | null = null;
    for (const [i, pending] of blobs.entries()) {
      const blob = await pending;
      const had = store.layers.has(ids[i]!);
      try {
        const record = await store.layers.unpack(parent, blob.digest, () => store.blobs.open(blob.digest), diffIds[i], { signal, limit: layerLimit(limits, text) });
        parent = record.chainId;
      } catch (err) {
        if (!(err instanceof StackError) || err instanceof ImageLimitError) throw err;
        throw client.fail('digest-mismatch', `layer ${i + 1} (${blob.digest}): ${err.message}; refused`, err);
      }
      if (!had) {
        added.layers.add(ids[i]!);
        say(`${short(manifest.layers[i]!.digest)}: extracted`);
      }
      descriptors.push({ mediaType: LAYER_TYPES[compressionOf(store, blob.digest)], digest: blob.digest, size: blob.size });
    }
    const image = store.images.put(config, descriptors);
    for (const name of names) store.images.tag(name, image.manifestDigest);
    // Where these blobs are, so a push to another repository of this registry can mount them (push.ts).
    rememberBlobSources(store, repositoryName(ref), [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
    return {
      image: { ...image, name: names[0]! },
      names,
      resolvedDigest: resolved.topDigest,
      ...(resolved.platform ? { platform: resolved.platform } : {}),
      downloadedBlobs: added.blobs.size,
      downloadedBytes,
      reusedLayers,
    };
  } catch (err) {
    abort.abort();
    await Promise.allSettled(blobs);
    discardUnreferenced(store, added);
    throw err;
  }
}

/** The image a name points at, when it and all its layers are in the store. */
function loadTagged(store: Store, name: string): StoredImage | undefined {
  try {
    return store.images.get(name);
  } catch {
    return undefined; // a layer went missing: pull it again
  }
}

/** The config's DiffIDs, checked: a Linux image with one per layer of the manifest. */
function diffIdsOf(client: RegistryClient, bytes: Buffer, layers: number): Digest[] {
  let config: ImageConfig;
  try {
    config = parseImageConfig(bytes, 'image config');
  } catch (err) {
    throw client.fail('protocol', (err as Error).message.replace(/^image config: /, ''));
  }
  const diffIds = config.rootfs.diff_ids;
  if (config.os !== '' && config.os !== 'linux') throw client.fail('protocol', `the image is for ${config.os}, not linux`);
  if (diffIds.length !== layers) throw client.fail('protocol', `the image config lists ${diffIds.length} layers, the manifest ${layers}`);
  return diffIds;
}

/** A stored blob's compression, from its first bytes. */
function compressionOf(store: Store, blob: Digest): keyof typeof LAYER_TYPES {
  return detectCompression(store.blobs.head(blob, 8));
}

/** A download's progress as lines: when it starts, then at most one per `everyMs`. */
function throttled(say: (line: string) => void, id: string, total: number, everyMs: number): (done: number) => void {
  let last = 0;
  say(`${id}: downloading ${mb(total)}`);
  return (done) => {
    const now = Date.now();
    if (now - last < everyMs || done === total) return;
    if (last !== 0) say(`${id}: downloading ${mb(done)} / ${mb(total)}`);
    last = now;
  };
}

export { RegistryError };
