/**
 * A layer tar's skeleton: every byte of the tar except the bodies of its regular files, which are
 * the files of the unpacked layer. Skeleton + unpacked folder give the tar back byte for byte
 * (headers, PAX records, padding and trailer as they came, whoever wrote them), so the store keeps
 * one copy of a layer's data, not a tar beside the folder. A skeleton is made only when every body
 * is still in the folder after unpacking: no path given twice, nothing replaced or removed later
 * in the same tar; otherwise the tar must be kept as it is. Regeneration checks the digest.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import type { Digest } from './ids.js';
import { cleanName } from './safe-path.js';
import { TarParser } from './tar-parser.js';
import type { TarEntry } from './tar-format.js';
import { OPAQUE_MARKER, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX } from './whiteouts.js';

/** What a tar is without its file bodies. */
export interface TarSkeleton {
  /** Bytes of the whole tar. */
  size: number;
  /** sha256 of the whole tar (for a layer, its DiffID). */
  digest: Digest;
  /** Each file body in order: [literal bytes before it, its path in the folder, its size]. */
  files: [number, string, number][];
  /** The tar's bytes outside the bodies, in order (the last run ends the tar). */
  literal: Buffer;
}

const CHUNK = 1024 * 1024;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW;

/** Why a tar's bodies might not all be in the unpacked folder, or undefined when they are. */
class Touched {
  private kinds = new Map<string, 'dir' | 'other'>();
  problem: string | undefined;

  touch(rel: string, kind: 'dir' | 'other'): void {
    // Parents made on the way are directories; a later non-directory there would replace them.
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) this.mark(parts.slice(0, i).join('/'), 'dir');
    this.mark(rel, kind);
  }

  private mark(rel: string, kind: 'dir' | 'other'): void {
    const before = this.kinds.get(rel);
    if (before !== undefined && (before !== 'dir' || kind !== 'dir')) this.problem ??= `${rel || '/'} is given more than once`;
    this.kinds.set(rel, kind);
  }
}

/** The path an entry makes or changes in the folder, as the extractor resolves it. */
function touchedBy(e: TarEntry, rel: string): string | undefined {
  const slash = rel.lastIndexOf('/');
  const base = rel.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return rel;
  if (base === OPAQUE_MARKER || base.startsWith(WHITEOUT_META_PREFIX)) return undefined;
  const dir = slash < 0 ? '' : rel.slice(0, slash);
  const name = base.slice(WHITEOUT_PREFIX.length);
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * Records the skeleton of the tar in `file` (uncompressed), or says why its bodies cannot be
 * taken from the unpacked folder. `known`: the file's digest when already verified (a stored
 * blob), so it is not hashed again.
 */
export function recordSkeleton(file: string, known?: Digest): TarSkeleton | { refused: string } {
  const bodies: { start: number; end: number; rel: string }[] = [];
  const touched = new Touched();
  let refused: string | undefined;
  const parser = new TarParser({
    entry(e) {
      let rel: string;
      try {
        rel = cleanName(e.name);
      } catch (err) {
        refused ??= (err as Error).message;
        return;
      }
      const target = touchedBy(e, rel);
      if (target !== undefined) touched.touch(target, e.type === 'dir' ? 'dir' : 'other');
      if (e.type === 'file' && e.size > 0) {
        if (target !== rel) refused ??= `${rel} is a whiteout with a body`;
        bodies.push({ start: parser.bodyStart, end: parser.bodyStart + e.size, rel });
      }
    },
    data() {},
    entryEnd() {},
  });
  const literal: Buffer[] = [];
  const hash = createHash('sha256');
  let size = 0;
  let next = 0; // the first body not yet passed
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, size);
      if (n <= 0) break;
      const chunk = buf.subarray(0, n);
      if (!known) hash.update(chunk);
      parser.push(chunk);
      // Keep what lies outside the bodies (the parser has seen every header in this chunk by now).
      const base = size;
      const end = base + n;
      for (let pos = base; pos < end; ) {
        const body = bodies[next];
        if (!body || body.start >= end) {
          literal.push(Buffer.from(chunk.subarray(pos - base)));
          break;
        }
        if (pos < body.start) literal.push(Buffer.from(chunk.subarray(pos - base, body.start - base)));
        pos = Math.min(Math.max(pos, body.end), end);
        if (pos === body.end) next++;
      }
      size = end;
    }
    parser.finish();
  } catch (err) {
    refused ??= (err as Error).message;
  } finally {
    fs.closeSync(fd);
  }
  refused ??= touched.problem;
  if (refused) return { refused };
  let prev = 0;
  const files = bodies.map((b): [number, string, number] => {
    const lit = b.start - prev;
    prev = b.end;
    return [lit, b.rel, b.end - b.start];
  });
  return { size, digest: known ?? `sha256:${hash.digest('hex')}`, files, literal: Buffer.concat(literal) };
}

/** The bytes of one file body: exactly `size` bytes of the regular file `folder/rel`. */
function* body(folder: string, rel: string, size: number, what: string): Generator<Buffer> {
  const fd = fs.openSync(`${folder}/${rel}`, fs.constants.O_RDONLY | O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size !== size) throw new RuntimeError(what, `${rel} in the unpacked layer is not the file the tar had (${st.size} bytes, not ${size})`);
    for (let pos = 0; pos < size; ) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) throw new RuntimeError(what, `${rel} in the unpacked layer ended early`);
      pos += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The tar again, from its skeleton and the unpacked `folder`; throws (after the last chunk) when
 * the bytes do not hash to the skeleton's digest, so a changed folder never passes for the layer.
 */
export function* regenerateTar(skeleton: TarSkeleton, folder: string, what: string): Generator<Buffer> {
  const hash = createHash('sha256');
  let pos = 0;
  const literal = (n: number): Buffer => {
    const b = skeleton.literal.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  for (const [lit, rel, size] of skeleton.files) {
    const head = literal(lit);
    hash.update(head);
    yield head;
    for (const b of body(folder, rel, size, what)) {
      hash.update(b);
      yield b;
    }
  }
  const tail = literal(skeleton.literal.length - pos);
  hash.update(tail);
  const digest = `sha256:${hash.digest('hex')}`;
  if (digest !== skeleton.digest) throw new RuntimeError(what, `rebuilt from its unpacked files, the layer hashes to ${digest}, not its DiffID ${skeleton.digest}: the store is damaged`);
  yield tail;
}
