/**
 * From what a tag or digest names to one image manifest for this host: an OCI index or Docker
 * manifest list is followed to its linux/<arch> entry (attestations passed over), every document
 * fetched by digest and checked, and the manifest checked to be a container image hafen can unpack.
 */
import { isDigest, type Digest } from '../layers/index.js';
import { hostArchitecture, MediaType, type Descriptor, type ImageManifest } from '../store/index.js';
import type { FetchedDocument, RegistryClient } from './registry-client.js';

/** The image manifest chosen, with the digest the reference resolved to (an index's, for a multi-platform image). */
export interface ResolvedImage {
  /** What the tag or digest pointed at (an index or the manifest itself). */
  topDigest: Digest;
  manifestDigest: Digest;
  manifest: ImageManifest;
  /** The platform picked from an index (`linux/amd64`), if there was one. */
  platform?: string;
}

const INDEX_TYPES: readonly string[] = [MediaType.index, MediaType.dockerManifestList];
const MANIFEST_TYPES: readonly string[] = [MediaType.manifest, MediaType.dockerManifest];
const CONFIG_TYPES: readonly string[] = [MediaType.config, MediaType.dockerConfig];
const LAYER_TYPE = /^application\/vnd\.(oci\.image\.layer\.v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.diff\.tar(\.gzip)?)$/;
const FOREIGN_LAYER = /nondistributable|foreign/;
const MAX_DEPTH = 4;

type Document = Partial<ImageManifest> & { manifests?: Descriptor[] | null; schemaVersion?: number };

/** The OCI platform of this host, as index entries name it. */
export function hostPlatform(): string {
  return `linux/${hostArchitecture()}`;
}

const platformOf = (d: Descriptor): string => (d.platform ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/') : 'unknown');
const isAttestation = (d: Descriptor): boolean => d.annotations?.['vnd.docker.reference.type'] !== undefined || d.platform?.os === 'unknown';

/** The index entry for this host, or undefined; arm64 takes no variant or v8. Exported for tests. */
export function pickPlatform(entries: readonly Descriptor[], arch = hostArchitecture()): Descriptor | undefined {
  const matching = entries.filter((d) => !isAttestation(d) && d.platform?.os === 'linux' && d.platform.architecture === arch);
  if (arch === 'arm64') return matching.find((d) => !d.platform?.variant || d.platform.variant === 'v8');
  if (arch === 'arm') return ['v7', 'v6', 'v5', undefined].map((v) => matching.find((d) => d.platform?.variant === v)).find(Boolean);
  return matching[0];
}

/** Follows the reference's document down to one image manifest for this host. */
export async function resolveImageManifest(client: RegistryClient, reference: string, signal?: AbortSignal): Promise<ResolvedImage> {
  let doc = await client.manifest(reference, signal);
  const topDigest = doc.digest;
  let platform: string | undefined;
  for (let depth = 0; ; depth++) {
    const parsed = parse(client, doc);
    if (!isIndex(doc, parsed)) return { topDigest, manifestDigest: doc.digest, manifest: checkManifest(client, parsed, doc.digest), ...(platform ? { platform } : {}) };
    if (depth >= MAX_DEPTH) throw client.fail('protocol', `indexes nest deeper than ${MAX_DEPTH} levels`);
    const entries = parsed.manifests ?? [];
    const entry = pickPlatform(entries);
    if (!entry) {
      const has = entries.filter((d) => !isAttestation(d)).map(platformOf);
      throw client.fail('not-found', `no ${hostPlatform()} image in the index ${doc.digest} (it has: ${has.join(', ') || 'nothing'})`);
    }
    if (!isDigest(entry.digest)) throw client.fail('protocol', `index entry ${JSON.stringify(entry.digest)} is not a sha256 digest (hafen reads sha256 only)`);
    platform = platformOf(entry);
    doc = await client.manifest(entry.digest, signal);
    if (doc.bytes.length !== entry.size) throw client.fail('digest-mismatch', `manifest ${entry.digest} is ${doc.bytes.length} bytes, its index entry says ${entry.size}; refused`);
  }
}

function parse(client: RegistryClient, doc: FetchedDocument): Document {
  if (/distribution\.manifest\.v1/.test(doc.mediaType)) {
    throw client.fail('protocol', `${doc.digest} is a Docker schema 1 manifest, which hafen does not read; push the image again with a current Docker, skopeo or crane`);
  }
  const parsed = JSON.parse(doc.bytes.toString('utf8')) as Document;
  if (parsed === null || typeof parsed !== 'object' || parsed.schemaVersion !== 2) throw client.fail('protocol', `${doc.digest} is not a schemaVersion 2 manifest or index`);
  return parsed;
}

function isIndex(doc: FetchedDocument, parsed: Document): boolean {
  if (INDEX_TYPES.includes(doc.mediaType)) return true;
  if (MANIFEST_TYPES.includes(doc.mediaType)) return false;
  return Array.isArray(parsed.manifests) && !parsed.config;
}

/** Checks that a manifest is a container image hafen can unpack: sha256 descriptors, image config, tar layers. */
function checkManifest(client: RegistryClient, m: Document, digest: Digest): ImageManifest {
  const where = `manifest ${digest}`;
  if (!m.config || !Array.isArray(m.layers)) throw client.fail('protocol', `${where} is not an image manifest (it has no config and layers)`);
  for (const d of [m.config, ...m.layers]) {
    if (typeof d?.digest !== 'string' || !isDigest(d.digest)) throw client.fail('protocol', `${where}: ${JSON.stringify(d?.digest)} is not a sha256 digest (hafen reads sha256 only)`);
    if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw client.fail('protocol', `${where}: descriptor ${d.digest} has no valid size`);
  }
  if (m.config.mediaType && !CONFIG_TYPES.includes(m.config.mediaType)) {
    throw client.fail('protocol', `${where} is not a container image (its config is ${m.config.mediaType}: an artifact, not something to run)`);
  }
  for (const layer of m.layers) {
    if (FOREIGN_LAYER.test(layer.mediaType)) throw client.fail('protocol', `${where}: layer ${layer.digest} is a foreign (non-distributable) layer, which hafen does not fetch`);
    if (!LAYER_TYPE.test(layer.mediaType)) throw client.fail('protocol', `${where}: layer ${layer.digest} has media type ${layer.mediaType}, which hafen cannot unpack`);
  }
  return m as ImageManifest;
}
