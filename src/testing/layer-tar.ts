/** Reading a stored layer blob in tests: each entry's header and (small) body, in tar order. */
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';

export interface LayerTarEntry {
  header: Header;
  body: Buffer;
}

/** Every entry of a tar stream, bodies read into memory (test layers are small). */
export async function readTarEntries(stream: Readable): Promise<LayerTarEntry[]> {
  const entries: LayerTarEntry[] = [];
  const ex = extract();
  stream.pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ header: entry.header, body: Buffer.concat(chunks) });
  }
  return entries;
}
