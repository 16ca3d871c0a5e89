/**
 * One blob from the registry into the blob store: streamed into a temporary file while hashed,
 * renamed under its digest only when digest and size match the descriptor; a connection that
 * breaks mid-blob restarts it (with back-off), and nothing unverified is ever left under a digest.
 */
import { Readable } from 'node:stream';
import { RuntimeError } from '../../../errors.js';
import { sha256 } from '../layers/index.js';
import type { BlobRef, Descriptor, Store } from '../store/index.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';
import { backoffDelay, defaultRetryPolicy, isNetworkError, type RetryPolicy } from './retry.js';

/** How a download goes; `onBytes` gets the bytes so far of the current try. */
export interface DownloadOptions {
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  onBytes?: (done: number) => void;
  /** The registry, for messages. */
  domain: string;
}

/** A blob whose length is not what its descriptor says. */
class SizeMismatch extends Error {}

/** Downloads a layer blob into the store, verified; resolves to its digest and size. */
export async function downloadBlob(store: Store, client: RegistryClient, d: Descriptor, opts: DownloadOptions): Promise<BlobRef> {
  return restarting(client, d, opts, async () => {
    const { stream } = await client.blob(d.digest, opts.signal);
    return store.blobs.put(Readable.from(counted(stream, d, opts.onBytes)), d.digest);
  });
}

/** Runs a download, again from the start when the connection breaks; refusals become RegistryErrors naming the blob. */
async function restarting<T>(client: RegistryClient, d: Descriptor, opts: DownloadOptions, download: () => Promise<T>): Promise<T> {
  const retry = { ...defaultRetryPolicy, ...opts.retry };
  for (let attempt = 1; ; attempt++) {
    try {
      return await download();
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      if (err instanceof SizeMismatch) throw client.fail('digest-mismatch', `blob ${d.digest} from ${opts.domain}: ${err.message}; refused, nothing kept`);
      if (err instanceof RuntimeError && err.resource === 'blob store') {
        const got = /got (sha256:[0-9a-f]+)/.exec(err.message)?.[1];
        throw client.fail('digest-mismatch', `blob ${d.digest} from ${opts.domain} does not match its digest${got ? ` (its bytes hash to ${got})` : ''}: the registry's copy is damaged or was changed; refused, nothing kept`);
      }
      if (!isNetworkError(err) || opts.signal?.aborted) throw err;
      if (attempt >= retry.attempts) throw client.fail('unavailable', `blob ${d.digest}: the download broke off ${attempt} times: ${(err as Error).message}`, err);
      await retry.sleep(backoffDelay(retry, attempt));
    }
  }
}

/** The stream's chunks, counted: more or fewer bytes than the descriptor's size is refused. */
async function* counted(stream: Readable, d: Descriptor, onBytes?: (done: number) => void): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    done += buf.length;
    if (done > d.size) {
      stream.destroy();
      throw new SizeMismatch(`more than the ${d.size} bytes its descriptor says`);
    }
    onBytes?.(done);
    yield buf;
  }
  if (done !== d.size) throw new SizeMismatch(`${done} bytes, its descriptor says ${d.size}`);
}

/** A small blob (an image config) read whole, checked against its digest and size. */
export async function fetchSmallBlob(client: RegistryClient, d: Descriptor, limit: number, opts: DownloadOptions): Promise<Buffer> {
  if (d.size > limit) throw client.fail('protocol', `the image config ${d.digest} is ${d.size} bytes, more than ${limit}`);
  const bytes = await restarting(client, d, opts, async () => {
    const { stream } = await client.blob(d.digest, opts.signal);
    const chunks: Buffer[] = [];
    for await (const chunk of counted(stream, d)) chunks.push(chunk);
    return Buffer.concat(chunks);
  });
  const digest = sha256(bytes);
  if (digest !== d.digest) throw client.fail('digest-mismatch', `the image config ${d.digest} does not match its digest (its bytes hash to ${digest}); refused`);
  return bytes;
}
