/**
 * `oci:` images: an OCI image layout folder (`oci-layout`, `index.json`, `blobs/sha256/`), as
 * skopeo, umoci, buildx and crane write it. Every blob is verified against its digest as it is
 * copied into the store; blob files are read only when they are regular files, never through a
 * symlink.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { Digest } from '../layers/index.js';
import type { BlobRef, Descriptor, Store, StoredImage } from '../store/index.js';
import { commitImage, tagImages, type AddedContent, type PendingImage } from './commit-image.js';
import { ImageLimitError, imageLimits, type ImageLimits, type ImportControls } from '../image-limits.js';
import { limitBytes } from '../layers/byte-limit.js';
import { discardUnreferenced } from '../registry/pull-cleanup.js';
import { Readable } from 'node:stream';
import { checkLayoutVersion, parseJson, readDocument, resolveIndex, type DocumentSource, type ImageIndex } from './oci-index.js';

/** Options for importOciLayout. */
export interface OciLayoutImportOptions extends ImportControls {
  /** Also tag the imported image with this name (the layout must then hold, or `ref` pick, one image). */
  tag?: string;
  /** Import only the entry of index.json with this ref name (or full image name). */
  ref?: string;
}

/** JSON documents larger than this are refused rather than read into memory. */
const MAX_DOCUMENT = 4 << 20;
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Opens a file of the layout: a regular file, not through a symlink at its last component. */
function openRegular(file: string, what: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RuntimeError(what, `${file} is missing`);
    if (code === 'ELOOP') throw new RuntimeError(what, `${file} is a symlink; layout files must be regular files`);
    throw new RuntimeError(what, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new RuntimeError(what, `${file} is not a regular file`);
  }
  return fd;
}

/** A small file of the layout, whole. */
function readSmall(file: string, what: string): Buffer {
  const fd = openRegular(file, what);
  try {
    const size = fs.fstatSync(fd).size;
    if (size > MAX_DOCUMENT) throw new RuntimeError(what, `${file} is ${size} bytes, too large for a JSON document`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Copies a layer blob into the store, checking its digest and size (a blob the store has is not read again). */
async function copyBlob(store: Store, blobFile: string, d: Descriptor, what: string, budget: ReadBudget, signal?: AbortSignal): Promise<BlobRef> {
  if (store.blobs.has(d.digest)) return { digest: d.digest, size: store.blobs.size(d.digest) };
  const fd = openRegular(blobFile, what);
  let ref: BlobRef;
  try {
    const left = budget.limits.maxBytes - budget.read;
    const bytes = limitBytes(fs.createReadStream('', { fd, autoClose: true }), left, () => new ImageLimitError(what, 'maxBytes', budget.limits.maxBytes, 'the layout\'s layer blobs'), signal);
    ref = await store.blobs.put(Readable.from(bytes), d.digest);
  } catch (err) {
    if (err instanceof ImageLimitError || (err as Error).name === 'AbortError') throw err;
    throw new RuntimeError(what, `blob ${d.digest}: ${(err as Error).message}`, { cause: err });
  }
  budget.read += ref.size;
  budget.added.blobs.add(ref.digest);
  if (ref.size !== d.size) throw new RuntimeError(what, `blob ${d.digest} is ${ref.size} bytes, its descriptor says ${d.size}`);
  return ref;
}

/** Bytes read so far from the layout's blobs, against the limit. */
interface ReadBudget {
  limits: ImageLimits;
  read: number;
  added: AddedContent;
}

/**
 * Imports the images of an OCI image layout (for this host's platform, following nested indexes)
 * and tags them with the names their index entries carry (and `opts.tag`).
 */
export async function importOciLayout(store: Store, dir: string, opts: OciLayoutImportOptions = {}): Promise<StoredImage[]> {
  const what = `oci ${dir}`;
  const budget: ReadBudget = { limits: opts.limits ?? imageLimits(), read: 0, added: { blobs: new Set(), layers: new Set() } };
  try {
    return await importLayout(store, dir, what, opts, budget);
  } catch (err) {
    // Refused, too big or interrupted: what this import stored goes again (unless an image uses it).
    discardUnreferenced(store, budget.added);
    throw err;
  }
}

async function importLayout(store: Store, dir: string, what: string, opts: OciLayoutImportOptions, budget: ReadBudget): Promise<StoredImage[]> {
  const root = path.resolve(dir);
  // A device or FIFO is never read: only a folder is a layout.
  const st = fs.statSync(root, { throwIfNoEntry: false });
  if (!st) throw new RuntimeError(what, `${dir} does not exist`);
  if (!st.isDirectory()) throw new RuntimeError(what, `${dir} is not a directory; an OCI image layout is a folder (oci-layout, index.json, blobs/)`);
  if (!fs.existsSync(path.join(root, 'oci-layout'))) throw new RuntimeError(what, 'not an OCI image layout (no oci-layout file)');
  checkLayoutVersion(readSmall(path.join(root, 'oci-layout'), what), what);
  const blobFile = (digest: Digest) => path.join(root, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const source: DocumentSource = {
    what,
    has: (digest) => fs.existsSync(blobFile(digest)),
    read: (digest) => readSmall(blobFile(digest), what),
  };
  const index = parseJson<ImageIndex>(readSmall(path.join(root, 'index.json'), what), 'index.json', what);
  const resolved = resolveIndex(source, index, opts.ref);
  if (opts.tag !== undefined && resolved.length !== 1) throw new RuntimeError(what, `holds ${resolved.length} images; pick one (oci:PATH:REF) to tag it ${opts.tag}`);
  const committed = [];
  for (const { manifest, names } of resolved) {
    const config = readDocument(source, manifest.config);
    const pending: PendingImage = { config, layers: [], names };
    const controls: ImportControls = { limits: budget.limits, ...(opts.signal ? { signal: opts.signal } : {}) };
    for (const d of manifest.layers) pending.layers.push({ blob: await copyBlob(store, blobFile(d.digest), d, what, budget, opts.signal), source: d.digest });
    committed.push(await commitImage(store, pending, what, controls, budget.added));
  }
  return tagImages(store, committed, what, opts.tag);
}
