/**
 * A second snapshot without a reset in between (issue 20): the writable folder still holds what the
 * previous snapshots captured of it (their layers over what it stands on show the folder as it was
 * then), so the new layer need only hold what differs between the folder now and those layers. This
 * turns a fresh copy of the folder into that delta, in place: entries the previous layers show
 * unchanged go, whiteouts are added for entries they show that are gone, a folder that replaced a
 * file is made opaque. A file counts as unchanged only when the live folder's file has not changed
 * since before the previous copy (its ctime, which no user can set, is older than a probe made before
 * that copy) and its size, mtime, mode and owner are the previous layers': no content is read, none guessed.
 * A folder is kept (alone, without its unchanged entries) when its own mode, owner, mtime or xattrs
 * differ from the previous layers', and every folder kept gets the live folder's times back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { lgetxattr, llistxattr, lsetxattr, mknod } from '../native.js';
import { OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX } from '../layers/whiteouts.js';

/** The previous layers cannot be the base of a delta (a whiteout or opaque folder a layer on top cannot undo): capture all. */
export class NotIncremental extends Error {}

/** Where the live folder is, the ctime (ns) before which its files were already in the previous layers, and the layer folders below those. */
export interface DeltaSince {
  live: string;
  ctimeBefore: bigint;
  below: readonly string[];
}

/** What to do to the copy, planned fully before anything changes (a NotIncremental leaves the copy whole). */
interface Plan {
  remove: string[];
  whiteouts: string[];
  opaque: string[];
  /** The copy's folders that were looked into, with their times: removing entries and adding whiteouts changes them, so they are put back. */
  times: [rel: string, st: Stats][];
}

type Stats = fs.BigIntStats;
const lstat = (p: string): Stats | undefined => fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0n;
const isOpaque = (abs: string): boolean => lgetxattr(abs, OVERLAY_OPAQUE_XATTR)?.toString() === 'y';
const kind = (st: Stats): bigint => st.mode & 0o170000n;

/** A node's own xattrs (overlayfs's left out), as one comparable string. */
function xattrsOf(abs: string): string {
  return llistxattr(abs)
    .filter((n) => !n.startsWith(OVERLAY_XATTR_PREFIX))
    .sort()
    .map((n) => `${n}=${lgetxattr(abs, n)?.toString('hex') ?? ''}`)
    .join(',');
}

const sameOwnerMode = (a: Stats, b: Stats): boolean => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;

/**
 * Whether two folders' mtimes are the same. To the microsecond: a delta's folders get their times
 * back through Node's utimes, which keeps microseconds, and a user's change of a folder's time moves
 * it by more than that.
 */
const sameMtime = (a: Stats, b: Stats): boolean => a.mtimeNs / 1000n === b.mtimeNs / 1000n;

/** A nanosecond time as the seconds Node's utimes takes, landing on its microsecond (Node cuts the rest off a double). */
const seconds = (ns: bigint): number => Number(ns / 1_000_000_000n) + (Number((ns % 1_000_000_000n) / 1000n) + 0.5) / 1e6;

/** Whether a non-folder entry of the copy is exactly the previous layers'. */
function unchanged(rel: string, copy: string, prev: string, cst: Stats, pst: Stats, since: DeltaSince): boolean {
  if (isWhiteout(cst) || isWhiteout(pst)) return isWhiteout(cst) && isWhiteout(pst);
  if (!sameOwnerMode(cst, pst)) return false;
  if (cst.isSymbolicLink()) return fs.readlinkSync(copy) === fs.readlinkSync(prev);
  if (cst.isCharacterDevice() || cst.isBlockDevice()) return cst.rdev === pst.rdev;
  if (cst.isFIFO() || cst.isSocket()) return true;
  if (cst.size !== pst.size || cst.mtimeNs !== pst.mtimeNs) return false;
  const live = lstat(path.join(since.live, rel));
  return live !== undefined && live.ctimeNs < since.ctimeBefore && live.size === cst.size && live.mtimeNs === cst.mtimeNs;
}

/** One folder as the previous layers show it: the layer folders (top-most first) that make it up, and whether it hides what lies below them. */
interface PrevDir {
  layers: string[];
  opaque: boolean;
}

/** An entry of the previous layers' merged view: the top-most layer's. */
function prevEntry(dir: PrevDir, rel: string): { abs: string; st: Stats } | undefined {
  for (const layer of dir.layers) {
    const abs = path.join(layer, rel);
    const st = lstat(abs);
    if (st) return { abs, st };
  }
  return undefined;
}

/** The layers that make up sub-folder `rel` of `dir`, down to an opaque one or one that is no folder there. */
function prevSubDir(dir: PrevDir, rel: string): PrevDir {
  const layers: string[] = [];
  for (const layer of dir.layers) {
    const st = lstat(path.join(layer, rel));
    if (!st) continue;
    if (!st.isDirectory()) break;
    layers.push(layer);
    if (isOpaque(path.join(layer, rel))) return { layers, opaque: true };
  }
  return { layers, opaque: false };
}

/** Names in folder `rel` of the merged view. */
function prevNames(dir: PrevDir, rel: string): Set<string> {
  return new Set(dir.layers.flatMap((layer) => fs.readdirSync(path.join(layer, rel))));
}

/** Plans folder `rel` (a folder in both); returns whether the copy keeps anything under it. */
function planDir(rel: string, copyRoot: string, prev: PrevDir, since: DeltaSince, plan: Plan): boolean {
  const names = fs.readdirSync(path.join(copyRoot, rel));
  plan.times.push([rel, lstat(path.join(copyRoot, rel))!]);
  let kept = false;
  for (const name of names) {
    const r = path.join(rel, name);
    const c = path.join(copyRoot, r);
    const cst = lstat(c)!;
    const p = prevEntry(prev, r);
    if (!p) {
      kept = true; // new since
      continue;
    }
    if (cst.isDirectory() && p.st.isDirectory()) {
      const sub = prevSubDir(prev, r);
      const copyOpaque = isOpaque(c);
      // Made opaque by a previous delta (it replaced a file) while the live folder merges: equal unless something below has it.
      if (sub.opaque && !copyOpaque && since.below.some((b) => lstat(path.join(b, r)))) throw new NotIncremental(`${r}: an opaque folder became a merged one`);
      if (copyOpaque && !sub.opaque) {
        kept = true; // the whole folder anew, hiding the previous layers'
        continue;
      }
      const inner = planDir(r, copyRoot, sub, since, plan);
      // A folder's own change (mode, owner, mtime, xattrs) keeps it, without the entries that did not change.
      if (inner || !sameOwnerMode(cst, p.st) || !sameMtime(cst, p.st) || xattrsOf(c) !== xattrsOf(p.abs)) kept = true;
      else plan.remove.push(r);
      continue;
    }
    if (cst.isDirectory()) {
      plan.opaque.push(r); // a folder where the previous layers had a file: nothing of theirs below shows
      kept = true;
      continue;
    }
    if (!p.st.isDirectory() && kind(cst) === kind(p.st) && unchanged(r, c, p.abs, cst, p.st, since)) plan.remove.push(r);
    else kept = true;
  }
  const here = new Set(names);
  for (const name of prevNames(prev, rel)) {
    if (here.has(name)) continue;
    const r = path.join(rel, name);
    // Hidden then and absent now: overlayfs drops a whiteout only for an entry, so nothing below has it.
    if (isWhiteout(prevEntry(prev, r)!.st)) continue;
    // Gone without a whiteout: nothing below had it, so a whiteout hides only the previous layers'.
    plan.whiteouts.push(r);
    kept = true;
  }
  return kept;
}

/**
 * Turns `copy` (a copy of the live folder `since.live`) into what differs from `previous`: the layer
 * folders (top-most first) the previous snapshots made of the same folder since it was fresh, the
 * bottom one a whole copy of it, those above deltas like this one. Throws NotIncremental, with
 * `copy` untouched, when the delta cannot be expressed as a layer on top.
 */
export function reduceToDelta(copy: string, previous: readonly string[], since: DeltaSince): void {
  const plan: Plan = { remove: [], whiteouts: [], opaque: [], times: [] };
  planDir('', copy, { layers: [...previous], opaque: false }, since, plan);
  for (const rel of plan.remove) {
    const abs = path.join(copy, rel);
    // A folder planned for removal had only removed entries, and they come before it in the plan.
    if (lstat(abs)?.isDirectory()) fs.rmdirSync(abs);
    else fs.rmSync(abs, { force: true });
  }
  for (const rel of plan.whiteouts) mknod(path.join(copy, rel), fs.constants.S_IFCHR, 0, 0);
  for (const rel of plan.opaque) lsetxattr(path.join(copy, rel), OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
  // The kept folders show the live folders' times (overlayfs shows the top-most layer's), and the next delta compares against them.
  for (const [rel, st] of plan.times) {
    const abs = path.join(copy, rel);
    if (lstat(abs)?.isDirectory()) fs.lutimesSync(abs, seconds(st.atimeNs), seconds(st.mtimeNs));
  }
}
