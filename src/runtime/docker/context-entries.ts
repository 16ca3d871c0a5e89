/**
 * What a build context holds, as the docker CLI would send it: the context folder's entries
 * without what .dockerignore leaves out (the same parser the embedded builder uses), in tar order,
 * with the Dockerfile always in it, under a name of its own when it lives outside the context or is
 * given as text. Listed without reading any file's bytes: build-context.ts packs them as a tar, and
 * a remote build (src/remote/context-digests.ts) hashes only the files it has not seen unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createIgnoreMatcher, loadDockerignore, type IgnoreMatcher } from '../embedded/build/index.js';

/** One entry of a context, in the order a tar of it lists it. */
export interface ContextEntry {
  /** Its path inside the context, `/`-separated. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  mtime: Date;
  linkname?: string;
  /** A file's path here with its lstat, or its bytes (a Dockerfile given as text). */
  source?: { path: string; stat: fs.Stats } | { body: Buffer };
}

/** A context's entries and the Dockerfile's name among them. */
export interface ContextListing {
  entries: ContextEntry[];
  dockerfile: string;
}

/** Name of a Dockerfile from outside the context, inside the tar. */
const OUTSIDE_DOCKERFILE = '.hafen.Dockerfile';
/** Name of a Dockerfile given as text (`dockerfile_inline`), inside the tar. */
const INLINE_DOCKERFILE = '.hafen.inline.Dockerfile';

/**
 * Lists `contextDir` for a build of `dockerfile` (relative to the context, or absolute), or of
 * `inline`, the Dockerfile's text.
 */
export async function contextEntries(contextDir: string, dockerfile: string, inline?: string): Promise<ContextListing> {
  const context = path.resolve(contextDir);
  const entries: ContextEntry[] = [];
  if (inline !== undefined) {
    addTree(entries, context, '', createIgnoreMatcher(await loadDockerignore(context)), new Set(['.dockerignore']));
    entries.push({ name: INLINE_DOCKERFILE, type: 'file', mode: 0o644, mtime: new Date(0), source: { body: Buffer.from(inline) } });
    return { entries, dockerfile: INLINE_DOCKERFILE };
  }
  const dockerfilePath = path.resolve(context, dockerfile);
  const rel = path.relative(context, dockerfilePath);
  const outside = rel.startsWith('..') || path.isAbsolute(rel);
  const ignored = createIgnoreMatcher(await loadDockerignore(context, { dockerfile: dockerfilePath }));
  const always = new Set(outside ? ['.dockerignore'] : [rel.split(path.sep).join('/'), '.dockerignore']);
  addTree(entries, context, '', ignored, always);
  if (outside) entries.push(fileEntry(dockerfilePath, OUTSIDE_DOCKERFILE, fs.statSync(dockerfilePath)));
  return { entries, dockerfile: outside ? OUTSIDE_DOCKERFILE : rel.split(path.sep).join('/') };
}

/** Everything in folder `dir` (a named build context: the local builder reads it whole, its .dockerignore a file like any). */
export function folderEntries(dir: string): ContextListing {
  const entries: ContextEntry[] = [];
  addTree(entries, path.resolve(dir), '', createIgnoreMatcher([]), new Set());
  return { entries, dockerfile: '' };
}

function fileEntry(abs: string, name: string, stat: fs.Stats): ContextEntry {
  return { name, type: 'file', mode: stat.mode & 0o7777, mtime: stat.mtime, source: { path: abs, stat } };
}

function addTree(out: ContextEntry[], root: string, rel: string, ignored: IgnoreMatcher, always: Set<string>): void {
  const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    const abs = path.join(root, relPath);
    const stat = fs.lstatSync(abs);
    const skip = ignored(relPath, stat.isDirectory()) && !always.has(relPath);
    if (stat.isDirectory()) {
      if (!skip) out.push({ name: relPath, type: 'directory', mode: stat.mode & 0o7777, mtime: stat.mtime });
      if (!skip || ignored.mayReinclude(relPath)) addTree(out, root, relPath, ignored, always);
    } else if (skip) {
      continue;
    } else if (stat.isSymbolicLink()) {
      out.push({ name: relPath, type: 'symlink', linkname: fs.readlinkSync(abs), mode: stat.mode & 0o7777, mtime: stat.mtime });
    } else if (stat.isFile()) {
      out.push(fileEntry(abs, relPath, stat));
    }
  }
}
