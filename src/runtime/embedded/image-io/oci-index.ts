/**
 * OCI image indexes as `oci:` layouts and Docker 25+ archives hold them: from `index.json` down to
 * image manifests, through nested indexes, choosing the host's platform, skipping attestations,
 * with the names the entries' annotations give. Works over any source of verified documents.
 */
import { RuntimeError } from '../../../errors.js';
import { isDigest, sha256, type Digest } from '../layers/index.js';
import { hostArchitecture, MediaType, normalizeImageName, type Descriptor, type ImageManifest } from '../store/index.js';
import { familiarName, namesFromAnnotations } from './image-names.js';

/** An OCI image index (or Docker manifest list). */
export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[] | null;
  annotations?: Record<string, string>;
}

/** Where the documents an index points at come from (a layout's blobs, an archive's members). */
export interface DocumentSource {
  /** Names the source in messages: `oci /tmp/layout`. */
  what: string;
  /** The bytes of a blob; a missing one is an error. */
  read(digest: Digest): Buffer;
  /** Whether the blob is there (an index may list platforms whose blobs were not saved). */
  has(digest: Digest): boolean;
}

/** One image manifest chosen from an index, with the names its entry gives it. */
export interface ResolvedManifest {
  digest: Digest;
  manifest: ImageManifest;
  names: string[];
}

const INDEX_TYPES: readonly string[] = [MediaType.index, MediaType.dockerManifestList];
const MANIFEST_TYPES: readonly string[] = [MediaType.manifest, MediaType.dockerManifest];
const CONFIG_TYPES: readonly string[] = [MediaType.config, MediaType.dockerConfig];
/** Layer tars, plain, gzip or zstd, in OCI's and Docker's names (foreign ones included when their blob is there). */
const LAYER_TYPE = /^application\/vnd\.(oci\.image\.layer\.(nondistributable\.)?v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.(foreign\.)?diff\.tar(\.gzip)?)$/;
const MAX_DEPTH = 4;
const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

/** Parses JSON, naming what it was on failure. */
export function parseJson<T>(bytes: Buffer, label: string, what: string): T {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object') throw new Error('not a JSON object');
    return value as T;
  } catch (err) {
    throw new RuntimeError(what, `${label} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Refuses an `oci-layout` file of another major version than 1. */
export function checkLayoutVersion(bytes: Buffer, what: string): void {
  const { imageLayoutVersion } = parseJson<{ imageLayoutVersion?: unknown }>(bytes, 'oci-layout', what);
  if (typeof imageLayoutVersion !== 'string' || !/^1\.\d+\.\d+$/.test(imageLayoutVersion)) {
    throw new RuntimeError(what, `unsupported OCI image layout version ${JSON.stringify(imageLayoutVersion)} (hafen reads 1.x)`);
  }
}

/** Checks a descriptor's digest form; only sha256 is supported. */
export function checkDescriptor(d: Descriptor, what: string): void {
  if (typeof d?.digest !== 'string' || !isDigest(d.digest)) throw new RuntimeError(what, `unsupported or malformed digest ${JSON.stringify(d?.digest)} (hafen reads sha256 only)`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new RuntimeError(what, `descriptor of ${d.digest} has no valid size`);
}

/** A document's bytes (an index, manifest or config), checked against its descriptor's digest and size. */
export function readDocument(source: DocumentSource, d: Descriptor): Buffer {
  checkDescriptor(d, source.what);
  const bytes = source.read(d.digest);
  if (sha256(bytes) !== d.digest) throw new RuntimeError(source.what, `blob ${d.digest} does not match its digest`);
  if (bytes.length !== d.size) throw new RuntimeError(source.what, `blob ${d.digest} is ${bytes.length} bytes, its descriptor says ${d.size}`);
  return bytes;
}

const platformText = (d: Descriptor) => (d.platform ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/') : 'no platform');
const isAttestation = (d: Descriptor) => d.annotations?.['vnd.docker.reference.type'] !== undefined || d.platform?.os === 'unknown';

/** Whether an index entry is for this host: linux on its architecture (arm64: any or no variant v8). */
function forHost(d: Descriptor): boolean {
  const p = d.platform;
  if (!p) return true;
  const arch = hostArchitecture();
  return p.os === 'linux' && p.architecture === arch && (arch !== 'arm64' || !p.variant || p.variant === 'v8');
}

/** Checks that a manifest is a container image hafen can unpack. */
function checkImageManifest(m: ImageManifest, digest: Digest, what: string): ImageManifest {
  const where = `manifest ${digest}`;
  if (m.schemaVersion !== 2 || !m.config || !Array.isArray(m.layers)) throw new RuntimeError(what, `${where} is not an image manifest (schemaVersion 2, config, layers)`);
  checkDescriptor(m.config, what);
  if (m.config.mediaType && !CONFIG_TYPES.includes(m.config.mediaType)) {
    throw new RuntimeError(what, `${where} is not a container image (its config is ${m.config.mediaType})`);
  }
  for (const layer of m.layers) {
    checkDescriptor(layer, what);
    if (!LAYER_TYPE.test(layer.mediaType)) throw new RuntimeError(what, `${where}: layer ${layer.digest} has media type ${layer.mediaType}, which hafen cannot unpack`);
  }
  return m;
}

/** Follows one index entry down to an image manifest for this host. */
function resolveEntry(source: DocumentSource, d: Descriptor, names: string[], depth: number): ResolvedManifest {
  const bytes = readDocument(source, d);
  const doc = parseJson<ImageManifest & ImageIndex>(bytes, `document ${d.digest}`, source.what);
  const isIndex = INDEX_TYPES.includes(d.mediaType) || INDEX_TYPES.includes(doc.mediaType ?? '') || (doc.manifests !== undefined && !doc.config);
  if (!isIndex) {
    if (d.mediaType && !MANIFEST_TYPES.includes(d.mediaType)) throw new RuntimeError(source.what, `entry ${d.digest} is a ${d.mediaType}, not an image`);
    return { digest: d.digest, manifest: checkImageManifest(doc, d.digest, source.what), names };
  }
  if (depth >= MAX_DEPTH) throw new RuntimeError(source.what, `indexes nest deeper than ${MAX_DEPTH} levels`);
  const child = pickForHost(source, doc.manifests ?? [], `index ${d.digest}`);
  return resolveEntry(source, child, names.length ? names : namesFromAnnotations(child.annotations), depth + 1);
}

/** The entry of an index for this host, preferring one whose blob is there. */
function pickForHost(source: DocumentSource, entries: Descriptor[], where: string): Descriptor {
  const images = entries.filter((d) => !isAttestation(d));
  const candidates = images.filter(forHost);
  const present = candidates.find((d) => isDigest(d.digest) && source.has(d.digest));
  if (present) return present;
  const want = `linux/${hostArchitecture()}`;
  if (candidates.length) throw new RuntimeError(source.what, `${where} lists a ${want} image, but its blobs are not there`);
  throw new RuntimeError(source.what, `${where} has no ${want} image (it has: ${images.map(platformText).join(', ') || 'nothing'})`);
}

/** Whether an index entry answers to `ref`: its ref name, or its full image name. */
function answersTo(d: Descriptor, ref: string): boolean {
  const a = d.annotations ?? {};
  if (a[REF_NAME] === ref) return true;
  const full = a[CONTAINERD_NAME] ?? (a[REF_NAME]?.includes(':') ? a[REF_NAME] : undefined);
  return full !== undefined && normalizeImageName(familiarName(full)) === normalizeImageName(familiarName(ref));
}

/**
 * The image manifests `index.json` leads to: every entry (or those `ref` names), each followed down
 * to this host's platform; entries for other platforms and attestations are passed over, and an
 * image listed under several names is returned once with all of them.
 */
export function resolveIndex(source: DocumentSource, index: ImageIndex, ref?: string): ResolvedManifest[] {
  if (index.schemaVersion !== 2 || (index.manifests !== null && !Array.isArray(index.manifests))) {
    throw new RuntimeError(source.what, 'index.json is not an OCI image index');
  }
  let entries = (index.manifests ?? []).filter((d) => !isAttestation(d));
  if (ref !== undefined) {
    const named = entries.filter((d) => answersTo(d, ref));
    if (!named.length) {
      const refs = entries.map((d) => d.annotations?.[CONTAINERD_NAME] ?? d.annotations?.[REF_NAME]).filter(Boolean);
      throw new RuntimeError(source.what, `no image named ${JSON.stringify(ref)} in index.json (it has: ${refs.join(', ') || 'no named images'})`);
    }
    entries = named;
  }
  const forThisHost = entries.filter(forHost);
  if (!forThisHost.length) {
    throw new RuntimeError(source.what, `index.json has no linux/${hostArchitecture()} image (it has: ${entries.map(platformText).join(', ') || 'nothing'})`);
  }
  const byDigest = new Map<Digest, ResolvedManifest>();
  for (const d of forThisHost) {
    const resolved = resolveEntry(source, d, namesFromAnnotations(d.annotations), 0);
    const seen = byDigest.get(resolved.digest);
    if (seen) seen.names.push(...resolved.names.filter((n) => !seen.names.includes(n)));
    else byDigest.set(resolved.digest, resolved);
  }
  return [...byDigest.values()];
}
