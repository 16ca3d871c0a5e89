/**
 * A build context as a manifest and its contents (issue 19): what the CLI sends a remote host
 * instead of the whole tar when the host keeps a cache of contexts (context-cache.ts). The tar
 * (.dockerignore applied, context-tar.ts) is read back entry by entry: every entry's header goes
 * into the manifest, every file's bytes are named by their sha256, so the remote side is asked
 * which of those it lacks and only those cross the channel.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

/** One entry of a context: a file (by content hash), a folder or a symlink, with what its tar header said. */
export interface ManifestEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  /** ms since the epoch, kept so an unchanged context gives the same layer. */
  mtime: number;
  size?: number;
  hash?: string;
  linkname?: string;
}

/** What crosses the channel for a build: the manifest, the blobs the remote side lacked, and whose last context this is. */
export interface SentContext {
  key: string;
  entries: ManifestEntry[];
  /** hash → base64 bytes, only the missing ones. */
  blobs: Record<string, string>;
}

/** The manifest of a context tar and the bytes of its files by hash. */
export async function manifestOf(contextTar: Buffer): Promise<{ entries: ManifestEntry[]; blobs: Map<string, Buffer> }> {
  const entries: ManifestEntry[] = [];
  const blobs = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const base = { name: header.name, mode: header.mode ?? 0o644, mtime: header.mtime?.getTime() ?? 0 };
      if (header.type === 'file') {
        const body = Buffer.concat(chunks);
        const hash = createHash('sha256').update(body).digest('hex');
        blobs.set(hash, body);
        entries.push({ ...base, type: 'file', size: body.length, hash });
      } else if (header.type === 'directory') entries.push({ ...base, type: 'directory' });
      else if (header.type === 'symlink') entries.push({ ...base, type: 'symlink', linkname: header.linkname ?? '' });
      next();
    });
    stream.on('error', next);
  });
  Readable.from([contextTar]).pipe(extract);
  await done;
  return { entries, blobs };
}
