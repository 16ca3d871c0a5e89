/** Unpacking one OCI layer tar into a directory that overlayfs can stack as a lower layer. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openLayerBlob, type ByteSource, type Compression } from './decompress.js';
import { Extractor, type ExtractOptions } from './extractor.js';
import type { Digest, LayerDigest } from './ids.js';
import { LayerError } from './layer-error.js';
import { TarParser } from './tar-parser.js';

/** Options for applyLayer. */
export interface ApplyOptions extends ExtractOptions {
  signal?: AbortSignal;
  /** The most uncompressed bytes the layer may have (a decompression bomb stops here), and the error then. */
  limit?: { bytes: number; error: () => Error };
}

/** What applying a layer found: its DiffID and uncompressed size, and more for logs. */
export interface AppliedLayer extends LayerDigest {
  compression: Compression;
  entries: number;
  /** Things deliberately left out (unsupported xattrs, overlay xattrs from the tar, skipped devices). */
  warnings: string[];
}

/**
 * Unpacks one layer blob (a Readable or any async iterable of bytes: tar, tar+gzip or tar+zstd, told by its magic bytes) into `targetDir`
 * (created if missing), computing the DiffID as it streams. Whiteouts become overlayfs whiteouts.
 * Nothing is written outside `targetDir`; a hostile entry stops the extraction with a LayerError
 * and leaves a partial tree, so callers unpack into a temporary directory and rename it when done.
 */
export async function applyLayer(blob: ByteSource, targetDir: string, opts: ApplyOptions = {}): Promise<AppliedLayer> {
  const root = path.resolve(targetDir);
  fs.mkdirSync(root, { recursive: true });
  if (!fs.lstatSync(root).isDirectory()) throw new LayerError(`cannot unpack into ${root}: not a directory`);

  const { tar, compression } = await openLayerBlob(blob);
  const extractor = new Extractor(root, opts);
  const parser = new TarParser(extractor);
  const hash = createHash('sha256');
  let size = 0;
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      try {
        hash.update(chunk);
        size += chunk.length;
        if (opts.limit && size > opts.limit.bytes) throw opts.limit.error();
        parser.push(chunk);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    final(done) {
      try {
        parser.finish();
        extractor.finish();
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    destroy(err, done) {
      try {
        extractor.closeFile();
      } finally {
        done(err);
      }
    },
  });
  try {
    await pipeline(tar, sink, opts.signal ? { signal: opts.signal } : {});
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_')) throw new LayerError(`cannot decompress the gzip layer: ${(err as Error).message}`, undefined, { cause: err });
    throw err;
  }
  const diffId: Digest = `sha256:${hash.digest('hex')}`;
  return { diffId, size, compression, entries: parser.entries, warnings: extractor.warnings };
}
