/**
 * Remote `include:` entries published as OCI artifacts (`oci://registry/repo:tag`, what
 * `docker compose publish` pushes), read as Compose v2 reads them: the manifest (or, in an index,
 * the manifest whose artifactType is a Compose project) lists the compose files and env files as
 * layers; they are written into a cache folder named by the manifest's digest, the compose files
 * one after another as the documents of one `compose.yaml`, and that file is included.
 *
 * The registry is spoken to with the same client (credentials from ~/.docker/config.json, plain
 * http only for loopback or HAFEN_INSECURE_REGISTRIES) the embedded runtime pulls images with.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StackError } from '../errors.js';
// The registry client (and the layer and store code it brings) is loaded only for an oci:// include, not at every start.
import type { RegistryClient } from '../runtime/embedded/registry/registry-client.js';
import { ValueError } from './issues.js';

import { OCI_PREFIX } from './oci-prefix.js';

export { OCI_PREFIX };

/** Compose's media types for a published project (docker/compose internal/oci). */
const PROJECT_ARTIFACT = 'application/vnd.docker.compose.project';
const COMPOSE_FILE = 'application/vnd.docker.compose.file+yaml';
const ENV_FILE = 'application/vnd.docker.compose.envfile';
const EMPTY_CONFIG = 'application/vnd.docker.compose.config.empty.v1+json';
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
/** A compose file or env file is text a person wrote: anything bigger is not one. */
const MAX_LAYER = 4 << 20;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface Manifest {
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** Where fetched artifacts are kept, beside the git checkouts: `<cache>/hafen/oci`. */
export function ociCacheDir(gitCache: string): string {
  return path.join(path.dirname(gitCache), 'oci');
}

/** The local compose.yaml of an `oci://` reference, fetched into the cache once per manifest digest. */
export async function fetchOciInclude(text: string, cacheDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    return await fetchArtifact(text, cacheDir, env);
  } catch (err) {
    if (err instanceof ValueError) throw err;
    if (err instanceof StackError) throw new ValueError(err.message.replace(/^error: /, ''));
    throw err;
  }
}

async function fetchArtifact(text: string, cacheDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const [{ RegistryClient }, { manifestReference, parseReference }] = await Promise.all([
    import('../runtime/embedded/registry/registry-client.js'),
    import('../runtime/embedded/registry/reference.js'),
  ]);
  const ref = parseReference(text.slice(OCI_PREFIX.length));
  const client = new RegistryClient(ref, text, { env });
  let doc = await client.manifest(manifestReference(ref));
  let manifest = JSON.parse(doc.bytes.toString('utf8')) as Manifest;
  if (INDEX_TYPES.has(doc.mediaType)) {
    const entry = (manifest.manifests ?? []).find((m) => m.artifactType === PROJECT_ARTIFACT);
    if (!entry) throw new ValueError(`${text} is an index without a Compose project in it`);
    doc = await client.manifest(entry.digest);
    manifest = JSON.parse(doc.bytes.toString('utf8')) as Manifest;
  }
  const isProject = manifest.artifactType ? manifest.artifactType === PROJECT_ARTIFACT : manifest.config?.mediaType === EMPTY_CONFIG;
  if (!isProject) throw new ValueError(`${text} is not a Compose project artifact (its type is ${JSON.stringify(manifest.artifactType ?? manifest.config?.mediaType ?? 'none')})`);

  const local = path.join(cacheDir, doc.digest.replace(/^sha256:/, ''));
  if (!existsSync(local)) {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = `${local}.tmp-${process.pid}-${Date.now()}`;
    try {
      await mkdir(tmp, { mode: 0o700 });
      await writeLayers(client, manifest.layers ?? [], tmp, text);
      await rename(tmp, local).catch((err: NodeJS.ErrnoException) => {
        if (!existsSync(local)) throw err; // else another run wrote it meanwhile
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return path.join(local, 'compose.yaml');
}

/** Writes the compose files (as documents of one compose.yaml, or under their own name when they are `extends` targets) and env files. */
async function writeLayers(client: RegistryClient, layers: readonly Descriptor[], dir: string, text: string): Promise<void> {
  const documents: string[] = [];
  for (const layer of layers) {
    if (layer.mediaType !== COMPOSE_FILE && layer.mediaType !== ENV_FILE) continue;
    const bytes = await readLayer(client, layer, text);
    const annotations = layer.annotations ?? {};
    if (layer.mediaType === ENV_FILE) {
      const name = annotations['com.docker.compose.envfile'];
      if (!name) throw new ValueError(`${text}: the env file layer ${layer.digest} has no com.docker.compose.envfile name`);
      await writeFile(path.join(dir, plainName(name, text)), bytes, { mode: 0o600 });
    } else if (annotations['com.docker.compose.extends'] !== undefined) {
      await writeFile(path.join(dir, plainName(annotations['com.docker.compose.file'] ?? '', text)), bytes, { mode: 0o600 });
    } else {
      documents.push(bytes.toString('utf8'));
    }
  }
  if (documents.length === 0) throw new ValueError(`${text} has no compose file in it`);
  await writeFile(path.join(dir, 'compose.yaml'), documents.join('\n---\n'), { mode: 0o600 });
}

/** A file name from an annotation: one plain name, nothing that could lead out of the folder. */
function plainName(name: string, text: string): string {
  if (!name || name === '.' || name === '..' || /[\\/\0]/.test(name)) throw new ValueError(`${text}: the artifact names a file ${JSON.stringify(name)}, which is not a plain file name`);
  return name;
}

/** A layer's bytes, checked against its size and digest. */
async function readLayer(client: RegistryClient, layer: Descriptor, text: string): Promise<Buffer> {
  if (layer.size > MAX_LAYER) throw new ValueError(`${text}: the layer ${layer.digest} is ${layer.size} bytes, more than a compose file can be (${MAX_LAYER})`);
  const { stream } = await client.blob(layer.digest as `sha256:${string}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > layer.size) {
      stream.destroy();
      break;
    }
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (bytes.length !== layer.size || digest !== layer.digest) throw new ValueError(`${text}: the layer ${layer.digest} does not match its descriptor; refused`);
  return bytes;
}
