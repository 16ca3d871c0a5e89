/**
 * A build context as a manifest (issue 19): what the CLI sends a remote host instead of the whole
 * tar when the host keeps a cache of contexts (context-cache.ts). The context's entries
 * (.dockerignore applied, context-entries.ts) go into the manifest with what their tar headers
 * would say; every file is named by its sha256 (remembered when unchanged since the last build:
 * context-digests.ts), so the remote side is asked which of those it lacks and only those are read
 * again and cross the channel (context-upload.ts). No file is held whole in memory.
 */
import { createHash } from 'node:crypto';
import type { ContextEntry, ContextListing } from '../runtime/docker/context-entries.js';
import type { ContextDigests } from './context-digests.js';

/** One entry of a context: a file (by content hash), a folder or a symlink, with what its tar header says. */
export interface ManifestEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  /** ms since the epoch, whole seconds as a tar header keeps them, so an unchanged context gives the same layer. */
  mtime: number;
  size?: number;
  hash?: string;
  linkname?: string;
}

/** What a build names of its context: the manifest, whose last context it becomes, and the lease holding its files there. */
export interface SentContext {
  key: string;
  entries: ManifestEntry[];
  /** From contextMissing: the remote cache keeps the files named until the build releases it. */
  lease: string;
}

/** Where a file's bytes are: a path here, or bytes given as text. */
export type ContextSource = NonNullable<ContextEntry['source']>;

/** The manifest of a listed context, and where each file's bytes are, by hash. */
export async function manifestOf(listing: ContextListing, digests: ContextDigests): Promise<{ entries: ManifestEntry[]; sources: Map<string, { name: string; source: ContextSource }> }> {
  const entries: ManifestEntry[] = [];
  const sources = new Map<string, { name: string; source: ContextSource }>();
  for (const e of listing.entries) {
    const base = { name: e.name, mode: e.mode, mtime: Math.floor(e.mtime.getTime() / 1000) * 1000 };
    if (e.type === 'directory') entries.push({ ...base, type: 'directory' });
    else if (e.type === 'symlink') entries.push({ ...base, type: 'symlink', linkname: e.linkname ?? '' });
    else if (e.source) {
      const { hash, size } = 'path' in e.source ? await digests.digest(e.name, e.source.path, e.source.stat) : digestOf(e.source.body);
      sources.set(hash, { name: e.name, source: e.source });
      entries.push({ ...base, type: 'file', size, hash });
    }
  }
  return { entries, sources };
}

function digestOf(body: Buffer): { hash: string; size: number } {
  return { hash: createHash('sha256').update(body).digest('hex'), size: body.length };
}
