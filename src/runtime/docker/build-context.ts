/**
 * The build context as the docker CLI sends it: a tar of the context's entries (context-entries.ts:
 * .dockerignore applied, the Dockerfile always in it), owned by root, each file's bytes read as
 * the tar is consumed.
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { contextEntries, type ContextEntry } from './context-entries.js';

/** A context ready to send: the tar stream and the Dockerfile's path inside it. */
export interface BuildContext {
  tar: NodeJS.ReadableStream;
  dockerfile: string;
}

/**
 * Tars `contextDir` for a build of `dockerfile` (relative to the context, or absolute), or of
 * `inline`, the Dockerfile's text, which goes into the tar under a name of its own.
 */
export async function buildContext(contextDir: string, dockerfile: string, inline?: string): Promise<BuildContext> {
  const listing = await contextEntries(contextDir, dockerfile, inline);
  const pack = tar.pack();
  const fill = async () => {
    for (const entry of listing.entries) await addEntry(pack, entry);
    pack.finalize();
  };
  fill().catch((err: Error) => pack.destroy(err));
  return { tar: pack as unknown as NodeJS.ReadableStream, dockerfile: listing.dockerfile };
}

async function addEntry(pack: tar.Pack, e: ContextEntry): Promise<void> {
  const header = { name: e.name, type: e.type, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0, ...(e.linkname !== undefined ? { linkname: e.linkname } : {}) };
  if (e.source && 'path' in e.source) {
    await pipeline(fs.createReadStream(e.source.path), pack.entry({ ...header, size: e.source.stat.size }));
    return;
  }
  const body = e.source?.body;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (body) pack.entry({ ...header, size: body.length }, body, done);
    else pack.entry(header, done);
  });
}
