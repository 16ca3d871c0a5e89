/**
 * A byte stream that stops at a limit or an abort: each chunk is counted, and the stream throws
 * (ending every pipeline it feeds) the moment the count passes the limit or the signal fires, so a
 * source that never ends is read no further than the limit allows and no longer than asked.
 */
import type { ByteSource } from './decompress.js';

/** The bytes of `source`, passed on as they come; `tooMuch` makes the error once `limit` is passed. */
export async function* limitBytes(source: ByteSource, limit: number, tooMuch: () => Error, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let total = 0;
  signal?.throwIfAborted();
  for await (const chunk of source) {
    signal?.throwIfAborted();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += buf.length;
    if (total > limit) throw tooMuch();
    yield buf;
  }
}
