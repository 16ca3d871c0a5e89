/**
 * Saving an image as an OCI image layout folder (what `oci:PATH` reads, and skopeo, umoci and
 * containerd too): its manifest, config and layer blobs byte for byte as stored, and an
 * `index.json` entry naming it. A new folder appears whole (built beside it, then renamed); an
 * existing layout gets the blobs it lacks and a new `index.json`, written atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { Digest } from '../layers/index.js';
import { tempPath, writeFileAtomic } from '../store/atomic.js';
import { MediaType, type Descriptor, type Store } from '../store/index.js';
import { exportedImage } from './exported-image.js';
import { qualifiedName } from './image-names.js';
import { checkLayoutVersion, parseJson, type ImageIndex } from './oci-index.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';
const LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/** Copies a stored blob into the layout unless it is there; through a temporary name, so never half. */
function putBlob(store: Store, dir: string, digest: Digest): void {
  const target = path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  if (fs.existsSync(target)) return;
  const tmp = tempPath(target);
  try {
    store.blobs.copyTo(digest, tmp);
    fs.chmodSync(tmp, 0o644);
    fs.renameSync(tmp, target);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The index entries of an existing layout, or none for an empty folder; anything else is refused. */
function existingEntries(dir: string, what: string): Descriptor[] {
  const names = fs.readdirSync(dir);
  if (names.length === 0) return [];
  if (!names.includes('oci-layout')) throw new RuntimeError(what, 'the folder exists and is not an OCI image layout; name a new or empty folder');
  checkLayoutVersion(fs.readFileSync(path.join(dir, 'oci-layout')), what);
  if (!names.includes('index.json')) return [];
  const index = parseJson<ImageIndex>(fs.readFileSync(path.join(dir, 'index.json')), 'index.json', what);
  return index.manifests ?? [];
}

/**
 * Writes `imageName` into the OCI layout at `dir` (created if missing), tagged in `index.json`
 * with its tag as ref name and its full name for containerd. Returns the manifest digest.
 */
export function saveOciLayout(store: Store, imageName: string, dir: string): Digest {
  const image = exportedImage(store, imageName);
  const root = path.resolve(dir);
  const what = `oci ${dir}`;
  const fresh = !fs.existsSync(root);
  const work = fresh ? tempPath(root) : root;
  const entries = fresh ? [] : existingEntries(root, what);
  try {
    fs.mkdirSync(path.join(work, 'blobs', 'sha256'), { recursive: true, mode: 0o755 });
    for (const layer of image.layers) putBlob(store, work, layer.blob);
    putBlob(store, work, image.image.manifest.config.digest);
    putBlob(store, work, image.image.manifestDigest);
    const name = image.name && !image.name.includes('@') ? image.name : undefined;
    const annotations = name ? { [REF_NAME]: name.slice(name.lastIndexOf(':') + 1), [CONTAINERD_NAME]: qualifiedName(name) } : undefined;
    const entry: Descriptor = {
      mediaType: image.image.manifest.mediaType ?? MediaType.manifest,
      digest: image.image.manifestDigest,
      size: store.blobs.size(image.image.manifestDigest),
      ...(annotations ? { annotations } : {}),
      platform: { architecture: image.image.config.architecture, os: image.image.config.os },
    };
    // An entry of the same name is replaced; the same image without a name is listed once.
    const kept = entries.filter((d) =>
      annotations ? d.annotations?.[CONTAINERD_NAME] !== annotations[CONTAINERD_NAME] : d.digest !== entry.digest || d.annotations !== undefined);
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.index, manifests: [...kept, entry] };
    writeFileAtomic(path.join(work, 'oci-layout'), LAYOUT, 0o644);
    writeFileAtomic(path.join(work, 'index.json'), JSON.stringify(index), 0o644);
    if (fresh) fs.renameSync(work, root);
  } catch (err) {
    if (fresh) fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
  return image.image.manifestDigest;
}
