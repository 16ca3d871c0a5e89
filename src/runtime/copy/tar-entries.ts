/**
 * Copies as tar streams, the form Docker's archive API takes and gives (`GET|PUT
 * /containers/{id}/archive`): a tar whose first entry is the copied top under its own name.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { RuntimeError } from '../../errors.js';
import { fileBytes, type CopyEntry, type EntryKind } from './copy-entries.js';

const KINDS: Partial<Record<string, EntryKind>> = { file: 'file', directory: 'dir', symlink: 'symlink' };

/**
 * The entries of a tar whose names all start with its top entry's name (Docker's getArchive), the
 * top renamed to ''. Hard links, devices and other kinds are skipped (`skipped` hears of them).
 */
export async function* tarEntries(tar: NodeJS.ReadableStream, skipped: (name: string) => void = () => {}): AsyncGenerator<CopyEntry> {
  const extract = tarStream.extract();
  Readable.from(tar as AsyncIterable<Buffer>).pipe(extract);
  let top: string | undefined;
  for await (const entry of extract) {
    const h = entry.header;
    const name = h.name.replace(/\/+$/, '');
    top ??= name;
    const rel = name === top ? '' : name.startsWith(`${top}/`) ? name.slice(top.length + 1) : undefined;
    const kind = KINDS[h.type ?? 'file'];
    if (rel === undefined) throw new RuntimeError('copy', `the archive holds ${JSON.stringify(h.name)} outside its top ${JSON.stringify(top)}`);
    if (!kind) {
      skipped(name);
      entry.resume();
      continue;
    }
    const e: CopyEntry = {
      rel,
      kind,
      mode: (h.mode ?? 0o644) & 0o7777,
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      mtime: Math.floor((h.mtime?.getTime() ?? Date.now()) / 1000),
      ...(kind === 'symlink' ? { linkTarget: h.linkname ?? '' } : {}),
    };
    if (kind === 'file') e.content = entry as unknown as AsyncIterable<Buffer>;
    yield e;
    entry.resume(); // whatever the sink did not read
  }
}

/** A tar of `entries`, the top named `topName` ('' for a top whose contents go in as they are). */
export function packEntries(entries: AsyncIterable<CopyEntry>, topName: string): Readable {
  const pack = tarStream.pack();
  void (async () => {
    for await (const e of entries) {
      const name = e.rel === '' ? topName : topName === '' ? e.rel : `${topName}/${e.rel}`;
      if (name === '') continue; // the merged top itself: the destination keeps its own metadata
      const header = { name, mode: e.mode, uid: e.uid, gid: e.gid, mtime: new Date(e.mtime * 1000) };
      if (e.kind === 'dir') pack.entry({ ...header, type: 'directory' });
      else if (e.kind === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: e.linkTarget ?? '' });
      else {
        const size = e.abs ? (await import('node:fs')).lstatSync(e.abs).size : 0;
        const sink = pack.entry({ ...header, type: 'file', size });
        await pipeline(e.abs ? fileBytes(e.abs) : (e.content ?? []), sink);
      }
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
