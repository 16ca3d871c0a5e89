/**
 * `stack cp` on the embedded runtime. A running container is read and written through
 * /proc/<init>/root (its root as it sees it, volumes included), a stopped or created one through its
 * upper layer over its image's layers (nothing mounted). Either way every path in the container is
 * resolved inside the container's root, component by component with lstat and readlink (a symlink
 * `/escape -> /` leads to the container's `/`, never the host's), and written without following
 * a symlink (O_NOFOLLOW, parents checked to be real folders). A running container is frozen while
 * the copy runs, so its processes cannot swap a folder for a symlink between check and use.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { pipeline } from 'node:stream/promises';
import { fileBytes, hostTree, treeEntries, type CopyEntry, type EntrySink } from '../../copy/copy-entries.js';
import { copyTarget, CopyTargetError, parentOf, type DestState } from '../../copy/copy-target.js';
import { hostDestState, hostSink, checkRel } from '../../copy/host-sink.js';
import type { CopyOptions } from '../../runtime.js';
import { LayeredView } from '../builder/layered-view.js';
import { UpperWriter, type WriteMeta } from '../builder/upper-writer.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** A container's filesystem as a copy sees it. */
export interface ContainerFs {
  /** `container shop-web-1`, for messages. */
  resource: string;
  /** The merged view, symlinks confined to the container's root. */
  view: LayeredView;
  /** A writer into it; undefined when its root filesystem is read-only. */
  writer?: () => UpperWriter;
  /**
   * Where a container that is not running has something mounted once it runs (volumes, binds,
   * tmpfs, its name files), root-relative: what is copied there would be hidden by the mount, so
   * such a copy is refused.
   */
  mounts?: readonly string[];
}

/** Throws when the resolved `rel` lies at or below one of the mounts of a container that is not running. */
function checkUnmounted(c: ContainerFs, rel: string): void {
  const at = c.mounts?.find((m) => rel === m || rel.startsWith(`${m}/`) || m === '');
  if (at !== undefined) {
    throw new RuntimeError(c.resource, `/${at} is mounted in the container only while it runs (a volume, bind or tmpfs); start it, then copy /${rel}`);
  }
}

/** The filesystem of a running container, whose init is `pid`. */
export function runningFs(resource: string, pid: number, readOnly: boolean): ContainerFs {
  // The trailing slash makes an lstat of the root itself see the folder, not the magic link.
  const root = `/proc/${pid}/root/`;
  return {
    resource,
    view: new LayeredView([root], { name: resource, escape: 'confine' }),
    ...(readOnly ? {} : { writer: () => new UpperWriter(root, []) }),
  };
}

/** The filesystem of a container that is not running: `upper` over the image's `lower` layers; `mounts` are container paths. */
export function restingFs(resource: string, upper: string, lower: readonly string[], readOnly: boolean, mounts: readonly string[] = []): ContainerFs {
  return {
    resource,
    mounts: mounts.map((m) => m.split('/').filter(Boolean).join('/')),
    view: new LayeredView([upper, ...lower], { name: resource, escape: 'confine' }),
    ...(readOnly ? {} : { writer: () => new UpperWriter(upper, lower) }),
  };
}

function targetOf(c: ContainerFs, src: string, srcIsDir: boolean, dest: string, state: DestState) {
  try {
    return copyTarget(src, srcIsDir, dest, state);
  } catch (err) {
    if (err instanceof CopyTargetError) throw new RuntimeError(c.resource, err.message);
    throw err;
  }
}

/** Copies `src` in the container to `dest` on this host. */
export async function copyOut(c: ContainerFs, src: string, dest: string, opts: CopyOptions, skipped: (rel: string) => void): Promise<void> {
  // A trailing `/` or `/.` means the folder a symlink names, as it would in a shell.
  const follow = opts.followLink === true || src.endsWith('/') || src.endsWith('/.');
  const rel = c.view.resolve(src, follow);
  checkUnmounted(c, rel);
  const top = c.view.lstat(rel);
  if (!top) throw new RuntimeError(c.resource, `${src}: no such file or directory`);
  const target = targetOf(c, src, top.stats.isDirectory(), dest, hostDestState(dest));
  const sink = hostSink(target, { keepOwners: opts.archive === true });
  for await (const e of treeEntries(c.view, rel, skipped)) await sink.put(e);
  await sink.finish();
}

/** What a container path is now, for copyTarget (symlinks followed inside the container). */
function containerDestState(view: LayeredView, dest: string): DestState {
  const st = view.stat(dest);
  if (st) return { kind: st.stats.isDirectory() ? 'dir' : 'other' };
  return { kind: 'none', parentIsDir: view.isDir(parentOf(dest)) };
}

/** A sink writing below the resolved container path `top` through an UpperWriter. */
function containerSink(c: ContainerFs, writer: UpperWriter, top: string, merge: boolean, keepOwners: boolean): EntrySink {
  return {
    async put(e: CopyEntry) {
      checkRel(e.rel);
      const rel = e.rel === '' ? top : top === '' ? e.rel : `${top}/${e.rel}`;
      checkUnmounted(c, rel);
      const owner = keepOwners ? { uid: e.uid, gid: e.gid } : { uid: 0, gid: 0 };
      if (e.kind === 'dir') {
        if (e.rel === '' && merge) return; // the existing folder takes the contents and keeps its metadata
        writer.dir(rel, { mode: e.mode, owner, mtime: e.mtime }, false);
      } else if (e.kind === 'symlink') {
        writer.symlink(rel, e.linkTarget ?? '', { owner, mtime: e.mtime });
      } else {
        if (!e.abs) throw new RuntimeError('copy', `${e.rel}: no source file`);
        await writeFile(writer, rel, e.abs, { mode: e.mode, owner, mtime: e.mtime });
      }
    },
    async finish() {
      writer.finish();
    },
  };
}

/**
 * A regular file at the resolved `rel`, as UpperWriter.file writes it but with its bytes streamed,
 * so a big copy served by the supervisor does not hold up its port proxies and healthchecks.
 */
async function writeFile(writer: UpperWriter, rel: string, from: string, meta: WriteMeta): Promise<void> {
  const slash = rel.lastIndexOf('/');
  writer.ensureDir(slash < 0 ? '' : rel.slice(0, slash), meta.owner);
  if (writer.merged.lstat(rel)?.stats.isDirectory()) throw new RuntimeError('copy', `cannot replace the directory /${rel} with a file`);
  const target = writer.abs(rel);
  fs.rmSync(target, { force: true });
  const fd = fs.openSync(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    await pipeline(fileBytes(from), fs.createWriteStream('', { fd, autoClose: false }));
    fs.fchownSync(fd, meta.owner.uid, meta.owner.gid);
    fs.fchmodSync(fd, meta.mode);
    fs.futimesSync(fd, meta.mtime, meta.mtime);
  } finally {
    fs.closeSync(fd);
  }
}

/** Copies `src` on this host to `dest` in the container. */
export async function copyIn(c: ContainerFs, src: string, dest: string, opts: CopyOptions, skipped: (rel: string) => void): Promise<void> {
  if (!c.writer) throw new RuntimeError(c.resource, 'its root filesystem is read-only (read_only: true); nothing can be copied into it');
  const resolved = nodePath.resolve(opts.followLink ? fs.realpathSync(src) : src);
  const st = fs.lstatSync(resolved, { throwIfNoEntry: false });
  if (!st) throw new RuntimeError('copy', `${src}: no such file or directory`);
  const target = targetOf(c, src, st.isDirectory(), dest, containerDestState(c.view, dest));
  // The landing place resolved inside the container: an existing symlink is followed there, never out.
  const top = c.view.resolve(target.path, true);
  const writer = c.writer();
  const sink = containerSink(c, writer, top, target.merge, opts.archive === true);
  const tree = hostTree(nodePath.dirname(resolved));
  try {
    for await (const e of treeEntries(tree, nodePath.basename(resolved), skipped)) await sink.put(e);
    await sink.finish();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EROFS') throw new RuntimeError(c.resource, `${dest}: a read-only file system in the container`);
    throw err;
  }
}
