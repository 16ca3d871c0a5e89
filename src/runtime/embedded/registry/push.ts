/**
 * `docker push` from the embedded store: the image's layers and config go up first (in parallel,
 * each skipped, mounted or uploaded: upload-blob.ts), the manifest last, its bytes exactly as
 * stored so the digest the registry states is the one we hold. Where each blob now is, is
 * remembered for later mounts.
 */
import PQueue from 'p-queue';
import { RuntimeError, UsageError } from '../../../errors.js';
import { sha256, type Digest } from '../layers/index.js';
import { MediaType, type Descriptor, type Store, type StoredImage } from '../store/index.js';
import { mountCandidates, rememberBlobSources } from './blob-sources.js';
import { formatReference, parseReference, repositoryName } from './reference.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { uploadBlob, type BlobOutcome } from './upload-blob.js';

/** What a push tells as it goes: one event per layer when its fate is known, and upload progress. */
export type PushEvent =
  | { kind: 'layer'; digest: Digest; size: number; outcome: BlobOutcome }
  | { kind: 'uploading'; digest: Digest; done: number; size: number };

/** Options of a push; the client options are for tests (fetch, credentials, env, retry timing). */
export interface PushOptions extends RegistryClientOptions {
  onEvent?: (event: PushEvent) => void;
  signal?: AbortSignal;
  /** Blobs up to this size go in one request, larger ones in chunks of it (default: HAFEN_PUSH_CHUNK_SIZE, else 16 MiB). */
  chunkSize?: number;
  /** Blobs sent at once (default 3, as dockerd). */
  concurrency?: number;
}

/** What a push did. */
export interface PushResult {
  /** The reference pushed to, in full (`127.0.0.1:5000/team/app:1`). */
  reference: string;
  /** The manifest's digest, as the registry stated it and as stored here. */
  digest: Digest;
  mediaType: string;
}

const DEFAULT_CHUNK = 16 << 20;

/** The chunk size from HAFEN_PUSH_CHUNK_SIZE (bytes, at least 1), else 16 MiB. */
export function chunkSizeFrom(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.HAFEN_PUSH_CHUNK_SIZE;
  if (text === undefined || text === '') return DEFAULT_CHUNK;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`HAFEN_PUSH_CHUNK_SIZE=${text}: give a whole number of bytes, at least 1`);
  return n;
}

/** Pushes the stored image `local` (a name or manifest digest) to `target` (`host[:port]/repo[:tag]`). */
export async function pushToRegistry(store: Store, local: string, target: string, opts: PushOptions = {}): Promise<PushResult> {
  const ref = parseReference(target);
  if (ref.digest) throw new UsageError(`cannot push to ${target}: a push names a tag, not a digest (the registry gives the digest)`);
  const tag = ref.tag ?? 'latest';
  const image = storedImage(store, local);
  const manifestBytes = store.blobs.readBytes(image.manifestDigest);
  const mediaType = (JSON.parse(manifestBytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MediaType.manifest;
  // Each blob once, though two layers may be the same bytes (two empty steps, say).
  const blobs: Descriptor[] = [...new Map([...image.manifest.layers, image.manifest.config].map((d) => [d.digest, d])).values()];
  for (const d of blobs) {
    if (!store.blobs.has(d.digest)) throw new RuntimeError(`image ${local}`, `blob ${d.digest} is missing from the store; pull or build the image again`);
  }

  const client = new RegistryClient(ref, target, { ...opts, actions: 'pull,push' });
  const chunkSize = opts.chunkSize ?? chunkSizeFrom(opts.env);
  const queue = new PQueue({ concurrency: opts.concurrency ?? 3 });
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
  const layers = new Set(image.manifest.layers.map((l) => l.digest));
  const uploads = blobs.map((d) =>
    queue.add(async () => {
      signal.throwIfAborted();
      const outcome = await uploadBlob(store, client, d, {
        path: ref.path,
        chunkSize,
        mountFrom: mountCandidates(store, d.digest, ref.domain, ref.path),
        signal,
        ...(opts.retry ? { retry: opts.retry } : {}),
        onBytes: (done) => opts.onEvent?.({ kind: 'uploading', digest: d.digest, done, size: d.size }),
      });
      if (layers.has(d.digest)) opts.onEvent?.({ kind: 'layer', digest: d.digest, size: d.size, outcome });
    }),
  );
  try {
    await Promise.all(uploads);
  } catch (err) {
    abort.abort();
    await Promise.allSettled(uploads);
    throw err;
  }

  // The manifest last: the registry checks that every blob it names is there.
  const res = await client.send(`/v2/${ref.path}/manifests/${tag}`, { kind: 'manifest-put', reference: tag }, {
    method: 'PUT',
    headers: { 'content-type': mediaType, 'content-length': String(manifestBytes.length) },
    body: () => manifestBytes,
    signal,
  });
  await res.body?.cancel();
  const digest = sha256(manifestBytes);
  const stated = res.headers.get('docker-content-digest');
  if (stated && stated !== digest) throw client.fail('digest-mismatch', `the registry states manifest digest ${stated} for ${formatReference(ref)}, ours is ${digest}`);
  rememberBlobSources(store, repositoryName(ref), blobs.map((d) => d.digest));
  return { reference: formatReference(ref), digest, mediaType };
}

/** The image a name (or manifest digest) points at, with every layer present. */
function storedImage(store: Store, local: string): StoredImage {
  let image: StoredImage | undefined;
  try {
    image = store.images.get(local);
  } catch (err) {
    throw new RuntimeError(`image ${local}`, `cannot push: ${(err as Error).message}; pull or build it again`, { cause: err });
  }
  if (!image) throw new RuntimeError(`image ${local}`, 'is not in the store; build, pull or import it first (stack build, stack pull)');
  return image;
}
