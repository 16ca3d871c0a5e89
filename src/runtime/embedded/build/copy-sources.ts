/**
 * COPY/ADD sources expanded against a listing of the source root (the build context after
 * .dockerignore, or a stage's filesystem), with Docker's rules: globs use Go's `filepath.Match`
 * (`*`, `?`, `[...]`, matched segment by segment, no `**`); a directory source copies its contents;
 * a destination ending in `/` is a directory; several sources need a directory destination; a
 * glob that matches nothing copies nothing, a plain path that is missing is an error; no source may
 * leave the root. Pure: the builder lists files and copies them.
 */
import { posix } from 'node:path';
import { normalizeDest } from './container-path.js';
import { DockerfileError } from './dockerfile-error.js';
import { BadPatternError, goClean, goMatch, hasWildcards } from './go-path.js';
import type { InlineFile } from './stage-model.js';

/** One path in the source root's listing. */
export interface SourceEntry {
  /** `/`-separated, relative to the root, no leading `./` (e.g. `src/main.ts`). */
  path: string;
  type: 'file' | 'dir' | 'symlink';
}

/** One thing for the builder to create in the image. */
export type CopyOperation =
  /**
   * Copy `source` (relative to the root; `.` is the root itself) to the absolute `dest`. A `dir` is
   * created (its contents follow as their own operations); a `symlink` named directly as a source is
   * followed by the builder, as Docker follows it.
   */
  | { kind: 'path'; source: string; dest: string; type: SourceEntry['type'] }
  /** Write a heredoc body to `dest`. */
  | { kind: 'inline'; file: InlineFile; dest: string };

/** The parts of a resolved COPY/ADD step this needs (a CopyStep fits). */
export interface CopyRequest {
  kind: 'copy' | 'add';
  line: number;
  sources: readonly string[];
  inline?: readonly InlineFile[];
  /** A trailing `/` (or `.`, `/.`) marks a directory; a relative one is taken from `workdir`. */
  dest: string;
  /** WORKDIR for a relative `dest`; default `/`. */
  workdir?: string;
}

export interface ExpandOptions {
  /** The Dockerfile, for errors. */
  file: string;
  /** What the root is, for "not found" errors. Default `the build context`. */
  rootName?: string;
  /** Whether an absolute path is an existing directory in the image being built (then it is copied into). */
  isDirInImage?: (path: string) => boolean;
}

/** The copy operations for one COPY/ADD, parents before children; throws DockerfileError naming the line. */
export function expandCopySources(req: CopyRequest, entries: readonly SourceEntry[], opts: ExpandOptions): CopyOperation[] {
  const fail = (message: string): never => {
    throw new DockerfileError(opts.file, req.line, message);
  };
  const rootName = opts.rootName ?? 'the build context';
  const byPath = new Map(entries.map((e) => [goClean(e.path), e]));
  const sorted = [...byPath.values()].sort((a, b) => comparePaths(goClean(a.path), goClean(b.path)));

  const matches: SourceEntry[] = [];
  for (const src of req.sources) {
    const rel = goClean(src.replace(/^\/+/, ''));
    if (rel === '..' || rel.startsWith('../')) fail(`forbidden path outside the build context: ${src}`);
    if (!hasWildcards(rel)) {
      const entry = rel === '.' ? { path: '.', type: 'dir' as const } : byPath.get(rel);
      if (!entry) {
        const hint = opts.rootName === undefined ? ' (or excluded by .dockerignore)' : '';
        fail(`${req.kind.toUpperCase()} source ${JSON.stringify(src)}: not found in ${rootName}${hint}`);
      }
      matches.push({ path: rel, type: entry!.type });
      continue;
    }
    const { dir, pattern } = splitAtWildcard(rel);
    let skipUnder: string | undefined;
    for (const entry of sorted) {
      const path = goClean(entry.path);
      const below = dir === '.' ? path : path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : undefined;
      if (below === undefined) continue;
      if (skipUnder !== undefined && path.startsWith(skipUnder)) continue;
      let hit: boolean;
      try {
        hit = goMatch(pattern, below);
      } catch (err) {
        if (err instanceof BadPatternError) fail(`${req.kind.toUpperCase()} source ${JSON.stringify(src)}: ${err.message}`);
        throw err;
      }
      if (!hit) continue;
      matches.push({ path, type: entry.type });
      if (entry.type === 'dir') skipUnder = `${path}/`;
    }
    // A glob that matches nothing copies nothing, as BuildKit does.
  }

  const count = matches.length + (req.inline?.length ?? 0);
  const dest = normalizeDest(req.workdir ?? '/', req.dest);
  const destIsDir = dest.endsWith('/') || (opts.isDirInImage?.(dest) ?? false);
  if (count > 1 && !destIsDir) {
    fail(`When using ${req.kind.toUpperCase()} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destPath = dest.length > 1 ? dest.replace(/\/+$/, '') : dest;

  const ops: CopyOperation[] = [];
  for (const m of matches) {
    if (m.type !== 'dir') {
      ops.push({ kind: 'path', source: m.path, dest: destIsDir ? posix.join(destPath, posix.basename(m.path)) : destPath, type: m.type });
      continue;
    }
    // A directory: its contents go to dest (the directory itself is not recreated under dest).
    ops.push({ kind: 'path', source: m.path, dest: destPath, type: 'dir' });
    const prefix = m.path === '.' ? '' : `${m.path}/`;
    for (const entry of sorted) {
      const path = goClean(entry.path);
      if (path === '.' || (prefix !== '' && !path.startsWith(prefix))) continue;
      ops.push({ kind: 'path', source: path, dest: posix.join(destPath, path.slice(prefix.length)), type: entry.type });
    }
  }
  for (const file of req.inline ?? []) {
    ops.push({ kind: 'inline', file, dest: destIsDir ? posix.join(destPath, file.path) : destPath });
  }
  return ops;
}

/** `a/b/*.txt` → dir `a/b`, pattern `*.txt`; `*\/x` → dir `.`, pattern `*\/x` (fsutil's splitWildcards). */
function splitAtWildcard(rel: string): { dir: string; pattern: string } {
  const parts = rel.split('/');
  const i = parts.findIndex((p) => hasWildcards(p));
  return { dir: i === 0 ? '.' : parts.slice(0, i).join('/'), pattern: parts.slice(i).join('/') };
}

/** Walk order: a directory, then everything under it, siblings by name (as Go's filepath.Walk visits). */
function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}
