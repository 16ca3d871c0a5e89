/**
 * One blob from the store into a repository (OCI distribution spec, "Pushing blobs"): skipped when
 * a HEAD finds it there; mounted from another repository of the same registry that is known to hold
 * it; else uploaded, in one PUT when small, in PATCH chunks (Content-Range, each Location followed,
 * the registry's OCI-Chunk-Min-Length honoured) when large. Our bytes are hashed on the way out and
 * the digest the registry states is checked against ours. A chunk that fails goes on from where the
 * registry has it; any other broken upload starts again with a new session, with back-off, as a
 * broken download does.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Digest } from '../layers/index.js';
import type { Descriptor, Store } from '../store/index.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';
import { backoffDelay, defaultRetryPolicy, isNetworkError, type RetryPolicy } from './retry.js';

/** What became of one blob. */
export type BlobOutcome = { kind: 'exists' } | { kind: 'mounted'; from: string } | { kind: 'pushed'; chunks: number };

/** How one blob goes up. */
export interface UploadOptions {
  /** The repository's path in the registry (`team/app`). */
  path: string;
  /** Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size (or the registry's minimum). */
  chunkSize: number;
  /** Repositories of the same registry to try mounting from, best first. */
  mountFrom: readonly string[];
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Bytes sent so far of the current try. */
  onBytes?: (done: number) => void;
}

/** Mount attempts per blob before uploading it. */
const MAX_MOUNT_TRIES = 3;

/** A blob whose bytes in the store do not hash to its name: nothing to retry. */
class DamagedBlob extends Error {}

/** Pushes one blob of the store to the client's repository; resolves to what was done. */
export async function uploadBlob(store: Store, client: RegistryClient, d: Descriptor, opts: UploadOptions): Promise<BlobOutcome> {
  const signal = opts.signal;
  const head = await client.send(`/v2/${opts.path}/blobs/${d.digest}`, { kind: 'blob', digest: d.digest }, { method: 'HEAD', allowStatus: [404], signal });
  await head.body?.cancel();
  if (head.status !== 404) {
    checkStated(client, d.digest, head, 'the HEAD of');
    return { kind: 'exists' };
  }

  let session: string | undefined;
  for (const from of opts.mountFrom.slice(0, MAX_MOUNT_TRIES)) {
    const query = new URLSearchParams({ mount: d.digest, from });
    let res: Response;
    try {
      res = await client.send(`/v2/${opts.path}/blobs/uploads/?${query}`, { kind: 'upload', digest: d.digest, step: `mount from ${from}` }, { method: 'POST', headers: { 'content-length': '0' }, signal });
    } catch (err) {
      // No read access to the source (or it is gone): upload instead.
      if (err instanceof RegistryError && ['unauthorized', 'denied', 'not-found'].includes(err.reason)) continue;
      throw err;
    }
    await res.body?.cancel();
    if (res.status === 201) {
      checkStated(client, d.digest, res, 'the mount of');
      return { kind: 'mounted', from };
    }
    // 202: the registry could not mount and opened an upload instead; the last one is used for it.
    if (session) await cancel(client, session, signal);
    session = location(client, res);
  }

  const retry = { ...defaultRetryPolicy, ...opts.retry };
  for (let attempt = 1; ; attempt++) {
    try {
      const started = session ? { url: await client.resolve(session, signal), minChunk: 0 } : await startUpload(client, d.digest, opts.path, signal);
      session = undefined;
      return await send(store, client, d, started.url, Math.max(opts.chunkSize, started.minChunk), opts);
    } catch (err) {
      if (err instanceof DamagedBlob) throw client.fail('digest-mismatch', `blob ${d.digest}: ${err.message}; nothing was pushed for it`);
      if (!isTransient(err) || signal?.aborted) throw err;
      if (attempt >= retry.attempts) throw client.fail('unavailable', `blob ${d.digest}: the upload broke off ${attempt} times: ${(err as Error).message}`, err);
      await retry.sleep(backoffDelay(retry, attempt));
    }
  }
}

/** Opens an upload session: its absolute URL and the smallest chunk the registry takes. */
async function startUpload(client: RegistryClient, digest: Digest, path: string, signal?: AbortSignal): Promise<{ url: string; minChunk: number }> {
  const res = await client.send(`/v2/${path}/blobs/uploads/`, { kind: 'upload', digest, step: 'start' }, { method: 'POST', headers: { 'content-length': '0' }, signal });
  await res.body?.cancel();
  if (res.status !== 202) throw client.fail('protocol', `starting the upload of blob ${digest}: expected 202 Accepted, got ${res.status}`);
  const min = Number(res.headers.get('oci-chunk-min-length') ?? 0);
  return { url: await client.resolve(location(client, res), signal), minChunk: Number.isSafeInteger(min) && min > 0 ? min : 0 };
}

/** Sends the blob's bytes into the session at `url` (one PUT, or PATCHes then a PUT) and checks the digest stated. */
async function send(store: Store, client: RegistryClient, d: Descriptor, url: string, chunkSize: number, opts: UploadOptions): Promise<BlobOutcome> {
  const signal = opts.signal;
  let hash = createHash('sha256');
  const step = (name: string) => ({ kind: 'upload' as const, digest: d.digest, step: name });
  const octets = { 'content-type': 'application/octet-stream' };
  let chunks = 0;
  let done = 0;
  let res: Response;
  if (d.size <= chunkSize) {
    // Monolithic: the bytes stream out of the store (a skeleton layer is rebuilt on the way), hashed as they go.
    const counted = async function* (stream: Readable): AsyncGenerator<Uint8Array> {
      // Made again if the PUT is sent again (a token renewed on the way): counts start over.
      hash = createHash('sha256');
      done = 0;
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        done += (chunk as Buffer).length;
        opts.onBytes?.(done);
        yield chunk as Buffer;
      }
    };
    try {
      res = await client.send(withDigest(url, d.digest), step('put'), {
        method: 'PUT',
        headers: { ...octets, 'content-length': String(d.size) },
        body: () => counted(store.blobs.open(d.digest)),
        signal,
        once: true,
      });
    } catch (err) {
      if (done === d.size) checkHash(hash, d); // a damaged copy in the store is the better explanation
      throw err;
    }
    checkHash(hash, d);
  } else {
    for await (const chunk of chunksOf(store.blobs.open(d.digest), chunkSize)) {
      hash.update(chunk);
      url = await patchChunk(client, d, url, chunk, done, opts);
      done += chunk.length;
      chunks++;
      opts.onBytes?.(done);
    }
    checkHash(hash, d);
    res = await client.send(withDigest(url, d.digest), step('finish'), { method: 'PUT', headers: { 'content-length': '0' }, signal, once: true });
  }
  await res.body?.cancel();
  if (res.status !== 201) throw client.fail('protocol', `the upload of blob ${d.digest}: expected 201 Created, got ${res.status}`);
  checkStated(client, d.digest, res, 'the upload of');
  return { kind: 'pushed', chunks };
}

/**
 * Sends one chunk that starts at `offset`; after a failure worth another try, asks the registry how
 * much of the upload it has (GET on the session: `Range: 0-N`) and sends the rest of the chunk from
 * there. Resolves to the session's next URL.
 */
async function patchChunk(client: RegistryClient, d: Descriptor, url: string, chunk: Buffer, offset: number, opts: UploadOptions): Promise<string> {
  const retry = { ...defaultRetryPolicy, ...opts.retry };
  const signal = opts.signal;
  const end = offset + chunk.length - 1;
  let taken = 0; // bytes of this chunk the registry already has
  for (let attempt = 1; ; attempt++) {
    const part = chunk.subarray(taken);
    const start = offset + taken;
    try {
      const patch = await client.send(url, { kind: 'upload', digest: d.digest, step: `chunk ${start}-${end}` }, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(part.length), 'content-range': `${start}-${end}` },
        body: () => part,
        signal,
        once: true,
      });
      await patch.body?.cancel();
      if (patch.status !== 202) throw client.fail('protocol', `chunk ${start}-${end} of blob ${d.digest}: expected 202 Accepted, got ${patch.status}`);
      const range = patch.headers.get('range');
      if (range && rangeEnd(range) !== end) throw client.fail('protocol', `chunk ${start}-${end} of blob ${d.digest}: the registry has ${range}`);
      return await client.resolve(location(client, patch), signal);
    } catch (err) {
      if (!isTransient(err) || signal?.aborted || attempt >= retry.attempts) throw err;
      await retry.sleep(backoffDelay(retry, attempt));
      const status = await client.send(url, { kind: 'upload', digest: d.digest, step: 'status' }, { method: 'GET', signal, once: true });
      await status.body?.cancel();
      const loc = status.headers.get('location');
      if (loc) url = await client.resolve(loc, signal);
      // `0-0` stands for nothing as well as one byte (distribution's way): at the blob's start it is read as nothing.
      const range = status.headers.get('range');
      const have = range && !(offset === 0 && rangeEnd(range) === 0) ? rangeEnd(range) + 1 : 0;
      if (have < offset || have > end + 1) throw client.fail('unavailable', `blob ${d.digest}: after a failed chunk the registry has ${range ?? 'nothing'} of it, not the ${offset} bytes sent before`, err);
      taken = have - offset;
      if (taken === chunk.length) return url;
    }
  }
}

/** The last byte of a `Range: 0-N` (or `bytes=0-N`) header; NaN when it is not one. */
function rangeEnd(range: string): number {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(range.trim());
  return m ? Number(m[1]) : NaN;
}

/** Whether a failure is worth another try: the network, a 5xx, a rate limit. */
function isTransient(err: unknown): boolean {
  return isNetworkError(err) || (err instanceof RegistryError && (err.reason === 'unavailable' || err.reason === 'rate-limited'));
}

/** Refuses a blob whose bytes (as sent) do not hash to its digest or have another size. */
function checkHash(hash: ReturnType<typeof createHash>, d: Descriptor): void {
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== d.digest) throw new DamagedBlob(`the store's copy is damaged (its bytes hash to ${got})`);
}

/** Refuses an answer whose Docker-Content-Digest is not the blob's. */
function checkStated(client: RegistryClient, digest: Digest, res: Response, what: string): void {
  const stated = res.headers.get('docker-content-digest');
  if (stated && stated !== digest) throw client.fail('digest-mismatch', `${what} blob ${digest}: the registry states digest ${stated}; refused`);
}

/** The Location an upload answer must carry. */
function location(client: RegistryClient, res: Response): string {
  const loc = res.headers.get('location');
  if (!loc) throw client.fail('protocol', `the registry answered ${res.status} without a Location for the upload`);
  return loc;
}

/** The session URL with `digest=` added to what query it has (its state token). */
function withDigest(url: string, digest: Digest): string {
  const u = new URL(url);
  u.searchParams.set('digest', digest);
  return u.href;
}

/** Drops an upload session the push will not use (best effort: the registry expires it anyway). */
async function cancel(client: RegistryClient, session: string, signal?: AbortSignal): Promise<void> {
  try {
    const res = await client.send(await client.resolve(session, signal), { kind: 'upload', digest: '', step: 'cancel' }, { method: 'DELETE', allowStatus: [404], signal, once: true });
    await res.body?.cancel();
  } catch {
    // It expires on the registry's side.
  }
}

/** A stream cut into buffers of exactly `size` bytes (the last one shorter). */
async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const data of stream) {
    let buf = data as Buffer;
    while (have + buf.length >= size) {
      const take = size - have;
      parts.push(buf.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      have = 0;
      buf = buf.subarray(take);
    }
    if (buf.length) {
      parts.push(buf);
      have += buf.length;
    }
  }
  if (have) yield Buffer.concat(parts);
}
