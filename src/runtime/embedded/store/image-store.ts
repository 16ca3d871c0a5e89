/** Images: OCI manifests and configs in the blob store, tagged by name, their layers unpacked by ChainID. */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { chainIds, type Digest } from '../layers/index.js';
import { readJsonFile, writeFileAtomic } from './atomic.js';
import type { BlobStore } from './blob-store.js';
import type { LayerStore } from './layer-store.js';
import { normalizeImageConfig } from './normalize-config.js';
import { MediaType, type Descriptor, type ImageConfig, type ImageManifest } from './oci-types.js';

/** An image as the runtime uses it: its documents, and its layers' folders base first. */
export interface StoredImage {
  name?: string;
  manifestDigest: Digest;
  manifest: ImageManifest;
  config: ImageConfig;
  /** ChainIDs base first; `layerDirs` are their unpacked folders, in the same order. */
  chainIds: Digest[];
  layerDirs: string[];
}

/** A tag: which manifest an image name points at, and when it was set. */
interface RefFile {
  name: string;
  manifest: Digest;
  updated: string;
}

/** `busybox` → `busybox:latest`; names with a tag or digest are kept. */
export function normalizeImageName(name: string): string {
  if (name.includes('@')) return name;
  const lastSlash = name.lastIndexOf('/');
  return name.slice(lastSlash + 1).includes(':') ? name : `${name}:latest`;
}

export class ImageStore {
  constructor(
    private readonly refsDir: string,
    private readonly blobs: BlobStore,
    private readonly layers: LayerStore,
  ) {}

  /**
   * Records an image whose layers are already in the layer store: writes its config and manifest
   * as blobs and, when `name` is given, points the tag at it. A config given as bytes (an imported
   * one) is stored exactly as it is, so its digest, the image id, stays what it was.
   */
  put(config: ImageConfig | Buffer, layerBlobs: Descriptor[], name?: string): StoredImage {
    const configRef = this.blobs.putBytes(Buffer.isBuffer(config) ? config : JSON.stringify(config));
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: { mediaType: MediaType.config, digest: configRef.digest, size: configRef.size },
      layers: layerBlobs,
    };
    const manifestRef = this.blobs.putBytes(JSON.stringify(manifest));
    if (name) this.tag(name, manifestRef.digest);
    return this.load(manifestRef.digest, name);
  }

  /** Points `name` at a manifest. */
  tag(name: string, manifest: Digest): void {
    const ref: RefFile = { name: normalizeImageName(name), manifest, updated: new Date().toISOString() };
    writeFileAtomic(this.refFile(ref.name), JSON.stringify(ref));
  }

  /** Removes a tag; the image's blobs and layers go at the next prune if nothing else uses them. */
  untag(name: string): boolean {
    const file = this.refFile(normalizeImageName(name));
    if (!fs.existsSync(file)) return false;
    fs.rmSync(file);
    return true;
  }

  /** The manifest a name points at, if tagged. */
  resolve(name: string): Digest | undefined {
    return readJsonFile<RefFile>(this.refFile(normalizeImageName(name)))?.manifest;
  }

  /** An image by name or manifest digest, with its layers' folders; throws if a layer is missing. */
  get(nameOrDigest: string): StoredImage | undefined {
    const digest = nameOrDigest.startsWith('sha256:') ? (nameOrDigest as Digest) : this.resolve(nameOrDigest);
    if (!digest || !this.blobs.has(digest)) return undefined;
    return this.load(digest, nameOrDigest.startsWith('sha256:') ? undefined : normalizeImageName(nameOrDigest));
  }

  /** Every tag, sorted by name. */
  list(): { name: string; manifest: Digest; updated: string }[] {
    return fs
      .readdirSync(this.refsDir)
      .map((f) => readJsonFile<RefFile>(path.join(this.refsDir, f)))
      .filter((r): r is RefFile => r !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private load(manifestDigest: Digest, name?: string): StoredImage {
    const manifest = this.blobs.readJson<ImageManifest>(manifestDigest);
    // Stored as it came (nulls and all, so the image id stays); read through the one normalizer.
    const config = normalizeImageConfig(this.blobs.readJson<unknown>(manifest.config.digest), `image ${name ?? manifestDigest}`);
    const ids = chainIds(config.rootfs.diff_ids);
    for (const id of ids) {
      if (!this.layers.has(id)) throw new RuntimeError(`image ${name ?? manifestDigest}`, `layer ${id} is missing from the store`);
    }
    return { name, manifestDigest, manifest, config, chainIds: ids, layerDirs: ids.map((id) => this.layers.diffDir(id)) };
  }

  private refFile(name: string): string {
    return path.join(this.refsDir, `${encodeURIComponent(name)}.json`);
  }
}
