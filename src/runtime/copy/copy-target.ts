/**
 * Where a copy lands, by `docker cp`'s rules (pure): a source folder ending in `/.` copies its
 * contents; into an existing folder a source goes under its own name; a missing destination
 * becomes the copy (its parent must be a folder); a destination ending in `/` must be a folder.
 */
import path from 'node:path/posix';

/** What the destination path is now. */
export type DestState = { kind: 'dir' } | { kind: 'other' } | { kind: 'none'; parentIsDir: boolean };

/** Where the top of the copy goes: `path` (in the destination's namespace); `merge` when it is an existing folder taking the source's contents. */
export interface CopyTarget {
  path: string;
  merge: boolean;
}

/** Why a copy cannot be made, in docker cp's words. */
export class CopyTargetError extends Error {}

/** Whether a path, as the user wrote it, asks for a folder's contents (`dir/.`). */
export function wantsContents(src: string): boolean {
  return src === '.' || src.endsWith('/.');
}

/** The name the source's top entry takes under a folder: its last component. */
export function sourceName(src: string): string {
  const base = path.basename(path.normalize(src));
  return base === '/' || base === '.' || base === '' ? '' : base;
}

/**
 * The target of copying `src` (a folder when `srcIsDir`) to `dest`, as written, which is in
 * state `state` now.
 */
export function copyTarget(src: string, srcIsDir: boolean, dest: string, state: DestState): CopyTarget {
  if (!srcIsDir && (src.endsWith('/') || wantsContents(src))) throw new CopyTargetError(`${src}: not a directory`);
  const name = sourceName(src);
  if (state.kind === 'dir') {
    if (srcIsDir && (wantsContents(src) || name === '')) return { path: dest, merge: true };
    return { path: joinPath(dest, name), merge: false };
  }
  if (state.kind === 'other') {
    if (srcIsDir) throw new CopyTargetError(`cannot copy a directory to a file: ${dest}`);
    if (dest.endsWith('/')) throw new CopyTargetError(`${dest}: not a directory`);
    return { path: dest, merge: false };
  }
  if (!srcIsDir && (dest.endsWith('/') || wantsContents(dest))) throw new CopyTargetError(`destination directory ${dest} does not exist`);
  if (!state.parentIsDir) throw new CopyTargetError(`${parentOf(dest)}: no such directory`);
  return { path: dest.replace(/\/+$/, '') || '/', merge: false };
}

/** The folder a destination path is in, as written. */
export function parentOf(p: string): string {
  return path.dirname(p.replace(/\/+$/, '') || '/');
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
