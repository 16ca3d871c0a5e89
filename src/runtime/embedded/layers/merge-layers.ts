/**
 * Several layer tars merged into one plain tar of the tree they stack to (issue 20: a volume image
 * with more than one layer, copied into a Docker volume through the engine's archive API, which
 * takes one tar and knows nothing of whiteouts). The layers are read top-most first, each once and
 * streamed: an entry is written when no layer above wrote the same path, deleted it (`.wh.NAME`),
 * hid the folder it is in (`.wh..wh..opq`) or put something that is not a folder over one of its
 * folders. Whiteouts themselves are never written.
 */
import { Readable } from 'node:stream';
import { openLayerBlob, type ByteSource } from './decompress.js';
import { LayerError } from './layer-error.js';
import { baseOf, cleanName, parentOf } from './safe-path.js';
import { END_OF_ARCHIVE, encodeHeader, padding, type TarEntry } from './tar-format.js';
import { TarParser } from './tar-parser.js';
import { OPAQUE_MARKER, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX } from './whiteouts.js';

/** What the layers above have decided about paths. */
interface Above {
  /** Paths written, with the layer (index, top-most 0) and whether they were folders. */
  written: Map<string, { layer: number; dir: boolean }>;
  /** Paths deleted by a whiteout. */
  deleted: Set<string>;
  /** Folders whose lower contents are hidden. */
  opaque: Set<string>;
}

/** The strict ancestors of a cleaned path, nearest first (the root `''` last). */
function* ancestors(rel: string): Generator<string> {
  for (let p = rel; p !== ''; ) {
    p = parentOf(p);
    yield p;
  }
}

/** Whether entry `rel` of a lower layer shows through what the layers above decided. */
function showsThrough(rel: string, above: Above): boolean {
  if (above.written.has(rel) || above.deleted.has(rel)) return false;
  for (const a of ancestors(rel)) {
    if (above.deleted.has(a) || above.opaque.has(a)) return false;
    const w = above.written.get(a);
    if (w && !w.dir) return false;
  }
  return true;
}

/** Parses one layer, yielding what shows through (after each chunk read); its whiteouts count for the layers below only. */
async function* mergeOne(blob: ByteSource, layer: number, above: Above, what: string): AsyncGenerator<Buffer> {
  const deleted: string[] = [];
  const opaque: string[] = [];
  let out: Buffer[] = [];
  /** Whether the current entry is a file being passed through, and its body's size (for its padding). */
  let passingFile = false;
  let passing = 0;
  const parser = new TarParser({
    entry(e: TarEntry) {
      const rel = cleanName(e.name);
      const base = baseOf(rel);
      passingFile = false;
      if (base.startsWith(WHITEOUT_PREFIX)) {
        if (base === OPAQUE_MARKER) opaque.push(parentOf(rel));
        else if (!base.startsWith(WHITEOUT_META_PREFIX)) deleted.push(rel.slice(0, rel.length - base.length) + base.slice(WHITEOUT_PREFIX.length));
        return;
      }
      if (!showsThrough(rel, above)) return;
      if (e.type === 'link') {
        // The target must come through from this same layer, or the link would name another file.
        const target = cleanName(e.linkname, e.name);
        if (above.written.get(target)?.layer !== layer) throw new LayerError(`${what}: hard link ${rel} -> ${target} names a file this layer does not show`, e.name);
        e.linkname = target;
      }
      above.written.set(rel, { layer, dir: e.type === 'dir' });
      out.push(encodeHeader({ ...e, name: rel === '' ? '.' : rel }));
      passingFile = e.type === 'file';
      passing = e.size;
    },
    data(chunk: Buffer) {
      if (passingFile) out.push(Buffer.from(chunk)); // the parser's slices live only during the call
    },
    entryEnd() {
      if (passingFile) out.push(Buffer.alloc(padding(passing)));
      passingFile = false;
    },
  });
  const { tar } = await openLayerBlob(blob);
  for await (const chunk of tar) {
    parser.push(chunk as Buffer);
    if (out.length > 0) {
      const ready = out;
      out = [];
      yield* ready;
    }
  }
  parser.finish();
  for (const d of deleted) above.deleted.add(d);
  for (const o of opaque) above.opaque.add(o);
}

/**
 * One tar of the tree `layers` (blobs, base first; opened one at a time, top-most first) stack to:
 * what a container of them would show, without whiteouts. Owners, modes, times, xattrs and links kept.
 */
export function mergeLayers(layers: readonly (() => ByteSource)[], what: string): Readable {
  async function* merged(): AsyncGenerator<Buffer> {
    const above: Above = { written: new Map(), deleted: new Set(), opaque: new Set() };
    for (let i = layers.length - 1; i >= 0; i--) yield* mergeOne(layers[i]!(), layers.length - 1 - i, above, what);
    yield END_OF_ARCHIVE;
  }
  return Readable.from(merged(), { objectMode: false });
}
