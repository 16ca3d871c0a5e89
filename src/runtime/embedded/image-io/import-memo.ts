/**
 * What an imported `docker-archive:`/`oci:` source gave, remembered by the file's identity (its real
 * path, size, modification time and inode), so `up` does not read and hash an unchanged archive
 * again on every run (issue 16). A changed, moved or replaced file is imported again; so is one
 * whose image is no longer tagged as the import left it (removed, or tagged over).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';

/** The memo file under the store's root. */
const MEMO = 'images/imports.json';

/** Reference → what the import of which file gave. */
type Memo = Record<string, { source: string; manifest: string }>;

/** The identity of `file` as a string; undefined when it cannot be read (the import then says why). */
export function sourceIdentity(file: string): string | undefined {
  try {
    const real = fs.realpathSync(file);
    const st = fs.statSync(real, { bigint: true });
    // A folder (an OCI layout) changes inside without its own mtime changing: never remembered.
    if (!st.isFile()) return undefined;
    return `${real}\0${st.size}\0${st.mtimeNs}\0${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The manifest the import of `source` under `ref` gave last time, if it is the same file. */
export function rememberedImport(root: string, ref: string, source: string): string | undefined {
  const entry = readJsonFile<Memo>(path.join(root, MEMO))?.[ref];
  return entry?.source === source ? entry.manifest : undefined;
}

/** Notes that importing `source` under `ref` gave `manifest`. */
export function rememberImport(root: string, ref: string, source: string, manifest: string): void {
  const file = path.join(root, MEMO);
  const memo = readJsonFile<Memo>(file) ?? {};
  memo[ref] = { source, manifest };
  writeFileAtomic(file, JSON.stringify(memo));
}
