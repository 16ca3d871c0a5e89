/**
 * `docker-archive:` images: a `docker save` tar in either shape, legacy (dockerd before 25, skopeo:
 * `manifest.json` naming `<id>/layer.tar` or `<hex>.tar`, links between them) or OCI (Docker 25+:
 * also `oci-layout`, `index.json`, `blobs/sha256/`). `manifest.json` is read when present, else
 * `index.json`.
 */
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { Digest } from '../layers/index.js';
import { normalizeImageName, type Store, type StoredImage } from '../store/index.js';
import { readArchive, type ArchiveContents, type ArchiveMember } from './archive-reader.js';
import { commitImage, tagImages, type AddedContent, type PendingImage } from './commit-image.js';
import type { ImportControls } from '../image-limits.js';
import { discardUnreferenced } from '../registry/pull-cleanup.js';
import { familiarName, isImageName } from './image-names.js';
import { checkLayoutVersion, parseJson, readDocument, resolveIndex, type DocumentSource, type ImageIndex } from './oci-index.js';

/** Options for importDockerArchive. */
export interface DockerArchiveImportOptions extends ImportControls {
  /** Also tag the imported image with this name (the archive must then hold, or `ref` pick, one image). */
  tag?: string;
  /** Import only this image of the archive: one of its RepoTags, or `@N` for the N-th (from 0). */
  ref?: string;
}

/** One entry of a `docker save` manifest.json. */
interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

const BLOB_PATH = /^blobs\/sha256\/([0-9a-f]{64})$/;

/** A member named `blobs/sha256/<hex>` must hash to that name. */
function checkNamedBlob(archive: ArchiveContents, member: ArchiveMember): void {
  const m = BLOB_PATH.exec(member.path);
  if (m && `sha256:${m[1]}` !== member.digest) throw new RuntimeError(archive.what, `${member.path} does not match its digest (got ${member.digest})`);
}

/** The images manifest.json lists, their blobs found in the archive. */
function fromManifestJson(store: Store, archive: ArchiveContents, bytes: Buffer): PendingImage[] {
  const entries = parseJson<ManifestEntry[]>(bytes, 'manifest.json', archive.what);
  if (!Array.isArray(entries)) throw new RuntimeError(archive.what, 'manifest.json is not a list of images');
  return entries.map((entry, i) => {
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
      throw new RuntimeError(archive.what, `manifest.json entry ${i} has no Config and Layers`);
    }
    const config = archive.get(entry.Config);
    checkNamedBlob(archive, config);
    const layers = entry.Layers.map((name) => {
      const member = archive.get(name);
      checkNamedBlob(archive, member);
      return { blob: archive.store(store, member), source: name };
    });
    const tags = (entry.RepoTags ?? []).filter((t): t is string => typeof t === 'string');
    const bad = tags.find((t) => !isImageName(t));
    if (bad !== undefined) throw new RuntimeError(archive.what, `RepoTags entry ${JSON.stringify(bad)} is not an image name`);
    return { config: archive.bytes(store, config), layers, names: tags.map(familiarName) };
  });
}

/** The images index.json leads to, for archives without manifest.json. */
function fromIndexJson(store: Store, archive: ArchiveContents, bytes: Buffer, ref: string | undefined): PendingImage[] {
  const layout = archive.find('oci-layout');
  if (layout) checkLayoutVersion(archive.bytes(store, layout), archive.what);
  const member = (digest: Digest) => archive.find(`blobs/sha256/${digest.slice('sha256:'.length)}`);
  const source: DocumentSource = {
    what: archive.what,
    has: (digest) => member(digest) !== undefined,
    read: (digest) => archive.bytes(store, archive.get(`blobs/sha256/${digest.slice('sha256:'.length)}`)),
  };
  const index = parseJson<ImageIndex>(bytes, 'index.json', archive.what);
  return resolveIndex(source, index, ref).map(({ manifest, names }) => ({
    config: readDocument(source, manifest.config),
    layers: manifest.layers.map((d) => {
      const m = member(d.digest);
      if (!m) throw new RuntimeError(archive.what, `layer ${d.digest} is not in the archive`);
      if (m.digest !== d.digest) throw new RuntimeError(archive.what, `blob ${d.digest} does not match its digest (got ${m.digest})`);
      return { blob: archive.store(store, m), source: m.path };
    }),
    names,
  }));
}

/** Keeps the image `ref` picks: a RepoTag, or `@N`. */
function pick(images: PendingImage[], ref: string, what: string): PendingImage[] {
  const at = /^@(\d+)$/.exec(ref);
  if (at) {
    const image = images[Number(at[1])];
    if (!image) throw new RuntimeError(what, `has ${images.length} images; there is no ${ref}`);
    return [image];
  }
  const want = normalizeImageName(familiarName(ref));
  const found = images.filter((img) => img.names.some((n) => normalizeImageName(n) === want));
  if (!found.length) throw new RuntimeError(what, `has no image tagged ${ref} (it has: ${images.flatMap((i) => i.names).join(', ') || 'untagged images'})`);
  return found.map((img) => ({ ...img, names: img.names.filter((n) => normalizeImageName(n) === want) }));
}

/**
 * Imports the images of a `docker save` archive into the store and tags them with their RepoTags
 * (and `opts.tag`). Every layer must unpack to the DiffID its config names, or the import is refused
 * and no name points at anything new.
 */
export async function importDockerArchive(store: Store, file: string, opts: DockerArchiveImportOptions = {}): Promise<StoredImage[]> {
  const what = `docker-archive ${file}`;
  const added: AddedContent = { blobs: new Set(), layers: new Set() };
  try {
    return await importArchive(store, file, what, opts, added);
  } catch (err) {
    // Refused, too big or interrupted: what this import stored goes again (unless an image uses it).
    discardUnreferenced(store, added);
    throw err;
  }
}

async function importArchive(store: Store, file: string, what: string, opts: DockerArchiveImportOptions, added: AddedContent): Promise<StoredImage[]> {
  const controls: ImportControls = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.limits ? { limits: opts.limits } : {}) };
  const archive = await readArchive(store, path.resolve(file), what, controls, added);
  const manifestJson = archive.find('manifest.json');
  const indexJson = manifestJson ? undefined : archive.find('index.json');
  let images: PendingImage[];
  if (manifestJson) {
    images = fromManifestJson(store, archive, archive.bytes(store, manifestJson));
    if (opts.ref !== undefined) images = pick(images, opts.ref, what);
  } else if (indexJson) {
    images = fromIndexJson(store, archive, archive.bytes(store, indexJson), opts.ref?.startsWith('@') ? undefined : opts.ref);
    if (opts.ref?.startsWith('@')) images = pick(images, opts.ref, what);
  } else {
    throw new RuntimeError(what, 'holds neither manifest.json nor index.json: not a `docker save` archive');
  }
  if (!images.length) throw new RuntimeError(what, 'holds no images');
  if (opts.tag !== undefined && images.length !== 1) throw new RuntimeError(what, `holds ${images.length} images; pick one (docker-archive:PATH:NAME) to tag it ${opts.tag}`);
  const committed = [];
  for (const image of images) committed.push(await commitImage(store, image, what, controls, added));
  return tagImages(store, committed, what, opts.tag);
}
