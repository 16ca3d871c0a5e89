/**
 * Anonymous volumes: one per image `VOLUME` the spec does not mount something on (as Docker makes
 * them), and one per spec volume without a source. Each is a folder in the container's state (so it
 * goes with the container) seeded, as Docker does, with what the image has at that path: files,
 * folders, symlinks, owners, modes and times, read through the image's layers without mounting them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerSpec } from '../../runtime.js';
import type { LayeredView } from '../builder/index.js';
import type { ContainerConfig } from '../store/index.js';

/** A clean absolute container path: `/data/` and `/data/./x/..` are `/data`. */
export function normalizeTarget(target: string): string {
  const clean = path.posix.normalize(`/${target}`);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/** The image's VOLUME paths that need an anonymous volume: those the spec mounts nothing on, sorted. */
export function imageVolumeTargets(config: ContainerConfig, spec: Pick<ContainerSpec, 'mounts'>): string[] {
  const mounted = new Set(spec.mounts.map((m) => normalizeTarget(m.target)));
  const wanted = new Set(Object.keys(config.Volumes ?? {}).map(normalizeTarget));
  return [...wanted].filter((t) => t !== '/' && !mounted.has(t)).sort();
}

function copyMeta(from: fs.Stats, to: string, isLink: boolean): void {
  fs.lchownSync(to, from.uid, from.gid);
  if (isLink) return;
  fs.chmodSync(to, from.mode & 0o7777);
  fs.utimesSync(to, from.atime, from.mtime);
}

/** Copies the view's tree at `rel` into the existing folder `dest`, entry by entry. */
function copyTree(view: LayeredView, rel: string, dest: string): void {
  for (const name of view.readdir(rel)) {
    const childRel = `${rel}/${name}`;
    const entry = view.lstat(childRel);
    if (!entry) continue;
    const to = path.join(dest, name);
    const st = entry.stats;
    if (st.isDirectory()) {
      fs.mkdirSync(to);
      copyTree(view, childRel, to);
      copyMeta(st, to, false);
    } else if (st.isFile()) {
      fs.copyFileSync(entry.abs, to);
      copyMeta(st, to, false);
    } else if (st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(entry.abs), to);
      copyMeta(st, to, true);
    }
    // Devices, fifos and sockets in a VOLUME path are not copied (Docker's copy skips nothing, but no image ships them there).
  }
}

/**
 * Makes the folder `dest` of an anonymous volume at `target` and fills it from the image: when the
 * image has a directory there, its content, owner and mode; otherwise it stays empty (0755, root).
 */
export function seedVolume(view: LayeredView | undefined, target: string, dest: string): void {
  fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
  if (!view) return;
  const rel = view.resolve(target);
  const entry = view.lstat(rel);
  if (!entry?.stats.isDirectory()) return;
  copyTree(view, rel, dest);
  copyMeta(entry.stats, dest, false);
}
