/**
 * The files a remote host's context cache lacks, sent over the channel (issue 19): each read here
 * as a stream, in pieces of up to PIECE_BYTES gathered into calls of about that size (many small
 * files share a call; a big one spans several), one call in flight, so neither the context nor a
 * big file is ever whole in memory on either side. A file that changed since it was hashed is
 * refused here, naming it, before its last piece goes (the remote side would refuse it too).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { StackError } from '../errors.js';
import type { BlobPiece } from './context-cache.js';
import type { ContextSource } from './context-manifest.js';

/** How many bytes of content go in one piece, and about how many in one call (base64: a third more on the channel). */
const PIECE_BYTES = 1024 * 1024;

/** What was sent. */
export interface UploadStats {
  files: number;
  bytes: number;
}

/** Sends each of `missing` (hashes) from `sources` through `put`, in order. */
export async function uploadFiles(missing: readonly string[], sources: ReadonlyMap<string, { name: string; source: ContextSource }>, put: (pieces: BlobPiece[]) => Promise<void>): Promise<UploadStats> {
  const stats: UploadStats = { files: 0, bytes: 0 };
  let batch: BlobPiece[] = [];
  let batched = 0;
  const add = async (piece: BlobPiece, bytes: number): Promise<void> => {
    batch.push(piece);
    batched += bytes;
    if (batched >= PIECE_BYTES) await flush();
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    batched = 0;
    await put(sending);
  };
  for (const hash of missing) {
    const file = sources.get(hash);
    if (!file) throw new StackError('E_BUILD', `the remote host asked for a context file that is not in the context (${hash.slice(0, 12)})`, 1);
    const h = createHash('sha256');
    const chunks: AsyncIterable<Buffer> | Buffer[] = 'path' in file.source ? fs.createReadStream(file.source.path, { highWaterMark: PIECE_BYTES }) : [file.source.body];
    for await (const chunk of chunks) {
      h.update(chunk);
      stats.bytes += chunk.length;
      await add({ hash, data: chunk.toString('base64'), final: false }, chunk.length);
    }
    if (h.digest('hex') !== hash) throw new StackError('E_BUILD', `context file ${file.name} changed while it was being sent; build again`, 1);
    await add({ hash, data: '', final: true }, 0);
    stats.files++;
  }
  await flush();
  return stats;
}
