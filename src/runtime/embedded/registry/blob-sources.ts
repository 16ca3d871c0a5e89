/**
 * Where blobs are known to be: the repositories a blob was pulled from or pushed to, by registry,
 * so a push to another repository of the same registry can mount it (`POST …?mount=&from=`) instead
 * of sending its bytes again. Kept in the store (`images/blob-sources/<hex>`), a hint only: a
 * repository that no longer has the blob makes the mount fail, and the push uploads instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Digest } from '../layers/index.js';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/index.js';

/** Repositories remembered per blob, newest first; older ones fall off. */
const KEEP = 8;

const fileOf = (store: Store, digest: Digest): string => path.join(store.paths.root, 'images/blob-sources', digest.slice('sha256:'.length));

/** The repositories (`127.0.0.1:5000/team/app`) known to hold `digest`, newest first. */
export function blobSources(store: Store, digest: Digest): string[] {
  const list = readJsonFile<unknown>(fileOf(store, digest));
  return Array.isArray(list) ? list.filter((r): r is string => typeof r === 'string') : [];
}

/** Records that `repository` (`domain/path`) holds each of `digests`; a failure to write is no failure of the pull or push. */
export function rememberBlobSources(store: Store, repository: string, digests: Iterable<Digest>): void {
  try {
    fs.mkdirSync(path.join(store.paths.root, 'images/blob-sources'), { recursive: true, mode: 0o700 });
    for (const digest of new Set(digests)) {
      const known = blobSources(store, digest);
      if (known[0] === repository) continue;
      writeFileAtomic(fileOf(store, digest), JSON.stringify([repository, ...known.filter((r) => r !== repository)].slice(0, KEEP)), 0o600, { fsync: false });
    }
  } catch {
    // A hint: without it a later push uploads the bytes instead of mounting them.
  }
}

/** The repositories of `domain` other than `repository` to try mounting `digest` from, newest first. */
export function mountCandidates(store: Store, digest: Digest, domain: string, repository: string): string[] {
  return blobSources(store, digest)
    .filter((r) => r.startsWith(`${domain}/`) && r !== `${domain}/${repository}`)
    .map((r) => r.slice(domain.length + 1));
}
