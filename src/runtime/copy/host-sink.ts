/**
 * Writing a copy onto this host (`stack cp SERVICE:SRC DEST`). The entries may come from a hostile
 * container, so nothing is written through a symlink below the destination: every parent on the way
 * must be a real folder, a file is opened with O_NOFOLLOW after what was there is removed, and a
 * name with `..` or a leading `/` is refused. Owners are kept only when asked (`-a`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RuntimeError } from '../../errors.js';
import { fileBytes, type CopyEntry, type EntrySink } from './copy-entries.js';
import type { CopyTarget, DestState } from './copy-target.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** What a host path is now, for copyTarget. */
export function hostDestState(dest: string): DestState {
  const st = fs.statSync(dest, { throwIfNoEntry: false });
  if (st) return { kind: st.isDirectory() ? 'dir' : 'other' };
  const parent = fs.statSync(path.dirname(path.resolve(dest)), { throwIfNoEntry: false });
  return { kind: 'none', parentIsDir: parent?.isDirectory() ?? false };
}

/** Refuses entry names that would climb out of the copy. */
export function checkRel(rel: string): void {
  if (rel.startsWith('/') || rel.split('/').some((c) => c === '..' || c === '')) {
    if (rel !== '') throw new RuntimeError('copy', `refusing the entry ${JSON.stringify(rel)}: it would land outside the destination`);
  }
}

/** A sink writing below the host path `target.path` (which the user chose, so it may itself be reached through a symlink). */
export function hostSink(target: CopyTarget, opts: { keepOwners: boolean }): EntrySink {
  const top = path.resolve(target.path);
  const dirTimes: [string, number][] = [];
  const abs = (rel: string): string => (rel === '' ? top : path.join(top, rel));

  /** Every folder between the top and `rel` must be a real folder, never a symlink. */
  const checkParents = (rel: string): void => {
    const comps = rel.split('/');
    let cur = top;
    for (const c of comps.slice(0, -1)) {
      cur = path.join(cur, c);
      const st = fs.lstatSync(cur, { throwIfNoEntry: false });
      if (!st?.isDirectory()) throw new RuntimeError('copy', `${cur} is not a directory; not writing ${abs(rel)} through it`);
    }
  };

  const owner = (p: string, e: CopyEntry): void => {
    if (opts.keepOwners) fs.lchownSync(p, e.uid, e.gid);
  };

  return {
    async put(e) {
      checkRel(e.rel);
      if (e.rel !== '') checkParents(e.rel);
      const p = abs(e.rel);
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (e.kind === 'dir') {
        if (st && !st.isDirectory()) fs.rmSync(p, { force: true });
        if (!st?.isDirectory()) fs.mkdirSync(p, { mode: 0o700 });
        if (e.rel === '' && target.merge) return; // an existing folder taking contents keeps its own metadata
        owner(p, e);
        fs.chmodSync(p, e.mode);
        dirTimes.push([p, e.mtime]);
        return;
      }
      if (st?.isDirectory()) throw new RuntimeError('copy', `cannot overwrite the directory ${p} with a ${e.kind === 'file' ? 'file' : 'symlink'}`);
      if (st) fs.rmSync(p, { force: true });
      if (e.kind === 'symlink') {
        fs.symlinkSync(e.linkTarget ?? '', p);
        owner(p, e);
        fs.lutimesSync(p, e.mtime, e.mtime);
        return;
      }
      const fd = fs.openSync(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        const source = e.content ?? (e.abs ? fileBytes(e.abs) : undefined);
        if (source) await pipeline(source, fs.createWriteStream('', { fd, autoClose: false }));
        if (opts.keepOwners) fs.fchownSync(fd, e.uid, e.gid);
        fs.fchmodSync(fd, e.mode);
        fs.futimesSync(fd, e.mtime, e.mtime);
      } finally {
        fs.closeSync(fd);
      }
    },
    async finish() {
      // Last, since writing into a folder changes its mtime; deepest first.
      for (const [p, t] of dirTimes.reverse()) fs.utimesSync(p, t, t);
    },
  };
}
