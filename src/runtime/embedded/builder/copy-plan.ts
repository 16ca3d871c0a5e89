/**
 * A COPY/ADD turned into concrete actions (make this directory, copy that file, extract this
 * archive) and the checksum of everything it takes, which joins the step's cache key: path,
 * type, mode, owner, symlink target and content of each source, sorted by destination. Reading
 * the sources is all this does; copy-step.ts writes them.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { posix } from 'node:path';
import { DockerfileError, expandCopySources, type CopyStep, type InlineFile } from '../build/index.js';
import { isArchive } from './archive.js';
import type { FileDigests } from './file-digests.js';
import { listSources, walkTree, type SourceRoot } from './source-listing.js';

/** One thing to create in the step's layer. Paths: `dest` absolute in the image, `source` relative to the root. */
export type CopyAction =
  /** `top`: the directory a COPY copies into (an existing one keeps its metadata, as BuildKit does). */
  | { kind: 'dir'; dest: string; source: string; stats: fs.Stats; top?: boolean }
  | { kind: 'file'; dest: string; source: string; abs: string; stats: fs.Stats }
  | { kind: 'symlink'; dest: string; source: string; abs: string; stats: fs.Stats }
  | { kind: 'inline'; dest: string; file: InlineFile }
  /** ADD of a local tar archive: its contents go into `dest` (a directory). */
  | { kind: 'extract'; dest: string; source: string; abs: string; stats: fs.Stats };

export interface CopyPlan {
  actions: CopyAction[];
  /** sha256 (hex) over the sources' paths, metadata and content. */
  checksum: string;
}

const { O_RDONLY, O_NOFOLLOW } = fs.constants;
const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.');

/** Plans one COPY/ADD against its source root; throws DockerfileError (bad sources) or RuntimeError (a symlink out of the context). */
export function planCopy(step: CopyStep, root: SourceRoot, opts: { file: string; isDirInImage: (path: string) => boolean; digests?: FileDigests }): CopyPlan {
  const listing = listSources(root, step.sources);
  const ops = expandCopySources(step, listing.entries, {
    file: opts.file,
    ...(root.ignore ? {} : { rootName: root.name }),
    isDirInImage: opts.isDirInImage,
  });
  const dirSources = new Set(ops.flatMap((op) => (op.kind === 'path' && op.type === 'dir' ? [op.source] : [])));
  const actions: CopyAction[] = [];
  const extractTo = step.dest.length > 1 ? step.dest.replace(/\/+$/, '') : step.dest;

  for (const op of ops) {
    if (op.kind === 'inline') {
      actions.push({ kind: 'inline', dest: op.dest, file: op.file });
      continue;
    }
    const real = listing.realPath(op.source);
    let entry = root.view.lstat(real);
    if (!entry) continue; // vanished since it was listed
    const topLevel = op.source === '.' || !dirSources.has(parentOf(op.source));
    let source = real;
    if (entry.stats.isSymbolicLink() && topLevel) {
      // A symlink named as a source (or matched by a glob) is followed, inside the root.
      source = root.view.resolve(real);
      entry = root.view.lstat(source);
      if (!entry) throw new DockerfileError(opts.file, step.line, `${step.kind.toUpperCase()} source ${op.source}: a symlink to ${source}, which is not in ${root.name}`);
      if (entry.stats.isDirectory()) {
        actions.push({ kind: 'dir', dest: op.dest, source, stats: entry.stats, top: true });
        walkTree(root, source, '', (shown, r) => {
          const e = root.view.lstat(r)!;
          const dest = posix.join(op.dest, shown);
          if (e.stats.isDirectory()) actions.push({ kind: 'dir', dest, source: r, stats: e.stats });
          else if (e.stats.isFile()) actions.push({ kind: 'file', dest, source: r, abs: e.abs, stats: e.stats });
          else actions.push({ kind: 'symlink', dest, source: r, abs: e.abs, stats: e.stats });
        });
        continue;
      }
    }
    const { stats, abs } = entry;
    if (stats.isDirectory()) actions.push({ kind: 'dir', dest: op.dest, source, stats, top: topLevel });
    else if (stats.isSymbolicLink()) actions.push({ kind: 'symlink', dest: op.dest, source, abs, stats });
    else if (!stats.isFile()) continue;
    else if (step.kind === 'add' && step.unpack && topLevel && isArchive(abs)) actions.push({ kind: 'extract', dest: extractTo, source, abs, stats });
    else actions.push({ kind: 'file', dest: op.dest, source, abs, stats });
  }
  const digest = opts.digests ? (abs: string, st: fs.Stats) => opts.digests!.digest(abs, st) : (abs: string) => fileDigest(abs);
  return { actions, checksum: checksum(actions, digest) };
}

/** The digest of the sources an action list takes (everything that can change the result). */
function checksum(actions: readonly CopyAction[], digest: (abs: string, st: fs.Stats) => string): string {
  const lines = actions.map((a) => {
    if (a.kind === 'inline') return `inline\0${a.dest}\0${a.file.mode}\0${createHash('sha256').update(a.file.content).digest('hex')}`;
    const meta = `${a.kind}\0${a.dest}\0${a.source}\0${a.stats.mode & 0o7777}\0${a.stats.uid}:${a.stats.gid}`;
    if (a.kind === 'dir') return meta;
    if (a.kind === 'symlink') return `${meta}\0${fs.readlinkSync(a.abs)}`;
    return `${meta}\0${digest(a.abs, a.stats)}`;
  });
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

/** fileDigest's read buffer: one for all reads (they are synchronous), not a new MiB per file. */
let readBuffer: Buffer | undefined;

/** sha256 of a regular file's content, read without following a symlink put in its place. */
export function fileDigest(abs: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(abs, O_RDONLY | O_NOFOLLOW);
  try {
    const buf = (readBuffer ??= Buffer.allocUnsafe(1 << 20));
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}
