/** Opening a layer blob whatever its compression: gzip, zstd (through the `zstd` tool) or none, told by magic bytes. */
import { spawn, spawnSync } from 'node:child_process';
import { Duplex, pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { LayerError } from './layer-error.js';

/** How a layer blob is compressed. */
export type Compression = 'gzip' | 'zstd' | 'none';

const MAGIC: { compression: Compression | 'bzip2' | 'xz'; bytes: number[] }[] = [
  { compression: 'gzip', bytes: [0x1f, 0x8b] },
  { compression: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { compression: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
  { compression: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
];
const MAGIC_LEN = 6;
const CHUNK = 256 * 1024;

/** Tells a blob's compression from its first bytes. */
export function detectCompression(head: Buffer): Compression {
  for (const { compression, bytes } of MAGIC) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) {
      if (compression === 'bzip2' || compression === 'xz') throw new LayerError(`${compression}-compressed layers are not supported (OCI layers are tar, tar+gzip or tar+zstd)`);
      return compression;
    }
  }
  return 'none';
}

/** Whether `zstd` runs, per PATH. */
const zstdFound = new Map<string, boolean>();

/** A transform running `zstd -dc`; a missing tool or a failed decode is a LayerError. */
function zstdDecompressor(): Duplex {
  const searchPath = process.env.PATH ?? '';
  if (!zstdFound.has(searchPath)) zstdFound.set(searchPath, spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0);
  if (!zstdFound.get(searchPath)) throw new LayerError('this layer is zstd-compressed and the `zstd` tool is not installed (apt-get install zstd)');
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => {});
  async function* output(): AsyncGenerator<Buffer> {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) throw new LayerError(`zstd failed to decompress the layer (exit ${code}): ${stderr.trim()}`);
  }
  child.stdin.on('error', () => {}); // EPIPE when zstd exits early; its exit status says why
  const duplex = Duplex.from({ writable: child.stdin, readable: Readable.from(output(), { objectMode: false }) });
  duplex.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return duplex;
}

/** Bytes from a Node stream, a tar-stream pack, a generator, … */
export type ByteSource = AsyncIterable<Uint8Array | string>;

/**
 * The uncompressed tar inside `blob`: reads the first bytes to choose the decompressor, then
 * streams. Returns the tar stream and what the blob was.
 */
export async function openLayerBlob(blob: ByteSource): Promise<{ tar: Readable; compression: Compression }> {
  const it = blob[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < MAGIC_LEN) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    headLen += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Uint8Array | string> {
    if (first.length) yield first;
    if (done) return;
    try {
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
      done = true;
    } finally {
      if (!done) await it.return?.(); // lets the source clean up when the consumer stops early
    }
  }
  let compression: Compression;
  try {
    compression = detectCompression(first);
  } catch (err) {
    await it.return?.();
    throw err;
  }
  const source = Readable.from(rest(), { objectMode: false, highWaterMark: CHUNK });
  if (compression === 'none') return { tar: source, compression };
  const decoder = compression === 'gzip' ? zlib.createGunzip({ chunkSize: CHUNK }) : zstdDecompressor();
  // pipeline() destroys both on a failure in either, and the returned decoder carries the error on.
  return { tar: pipeline(source, decoder, () => {}), compression };
}
