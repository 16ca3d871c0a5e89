/**
 * Overlay-backed named volumes (issue 20). A volume starts as a plain folder (`volumes/<name>/`,
 * bound into containers). Once reset onto a snapshot it becomes layered: its snapshot layers (in
 * the store) under an upper dir (`volumes/<name>.upper/`, work dir beside it), mounted as overlayfs
 * on its folder, so containers bind it exactly as before, and the next reset is a fresh upper dir:
 * the same constant cost as a container's root filesystem. The mount is in the project's ledger
 * (`down` unmounts it, the data stays in the upper dir; the next container to use it mounts it again).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { mountPoints } from '../mountinfo.js';
import type { Store } from '../store/index.js';
import { findVolume, type FoundVolume } from '../containers/volume-store.js';
import type { Mount } from '../../runtime.js';
import type { RuntimeContext } from '../containers/runtime-context.js';
import { writeFileAtomic } from '../store/atomic.js';
import { quickExec } from '../launcher/quick-spawn.js';
import { isRootless } from '../rootless/user-namespace.js';

/** The folders of a volume: its mount point (its data, when plain), and the parts a layered one adds. */
export interface VolumeDirs {
  dir: string;
  upper: string;
  work: string;
  /** The lower dir of a layered volume whose snapshot held nothing (overlayfs needs one). */
  empty: string;
}

/** The folders of `found`. */
export function volumeDirs(found: FoundVolume): VolumeDirs {
  return { dir: found.dir, upper: `${found.dir}.upper`, work: `${found.dir}.work`, empty: `${found.dir}.empty` };
}

/** The store folders of `layers` (base first), top-most first as overlayfs stacks them; throws when one is gone. */
export function layerDirsTopFirst(store: Store, layers: readonly string[], what: string): string[] {
  return [...layers].reverse().map((id) => {
    if (!store.layers.has(id as `sha256:${string}`)) throw new RuntimeError(what, `snapshot layer ${id} is no longer in the store; take the snapshot again`);
    return store.layers.diffDir(id as `sha256:${string}`);
  });
}

/** Where `cmd` is (posix_spawn takes a path), among the usual folders. */
function commandPath(cmd: string): string | undefined {
  return ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => path.join(d, cmd)).find((p) => fs.existsSync(p));
}

/**
 * Runs mount/umount; throws with its stderr. Through posix_spawn where the addon loads (a reset is
 * timed by users: a fork of a busy supervisor took 80 ms per command here, posix_spawn about 1).
 */
export async function run(cmd: string, args: string[], what: string): Promise<void> {
  const bin = commandPath(cmd);
  const child = bin ? quickExec(bin, args, []) : undefined;
  let code: number | null;
  let stderr = '';
  if (child) {
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout?.resume();
    code = await new Promise<number | null>((resolve) => {
      child.on('error', () => resolve(-1));
      child.on('close', (c) => resolve(c));
    });
  } else {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    code = r.status;
    stderr = r.stderr || r.error?.message || '';
  }
  if (code !== 0) throw new RuntimeError(what, `${cmd} failed: ${stderr.trim() || `exit ${code}`}`);
}

/** Mounts a layered volume on its folder unless it is mounted already; a plain one needs nothing. */
export async function mountLayeredVolume(ctx: RuntimeContext, found: FoundVolume): Promise<void> {
  const layers = found.record.layers;
  if (!layers || found.record.device) return;
  const d = volumeDirs(found);
  if (mountPoints().has(d.dir)) return;
  const what = `volume ${found.record.name}`;
  let lower = layerDirsTopFirst(ctx.store, layers, what);
  if (lower.length === 0) {
    fs.mkdirSync(d.empty, { recursive: true, mode: 0o755 });
    lower = [d.empty];
  }
  for (const p of [d.dir, d.upper, d.work]) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
  ctx.ledger(found.record.project).add({ kind: 'mount', path: d.dir }, what);
  ctx.log(`Mounting ${what} (${layers.length} snapshot layers)`);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower.join(':')},upperdir=${d.upper},workdir=${d.work},${overlayOptions()}`, d.dir], what);
}

/**
 * The overlay options of a layered volume: no redirects or metacopy, which a layer cannot express.
 * In a user's namespace the kernel refuses `redirect_dir=off` (unprivileged overlayfs writes no
 * trusted.* xattr, so there are no redirects to turn off).
 */
function overlayOptions(): string {
  return isRootless() ? 'index=off,metacopy=off' : 'index=off,redirect_dir=off,metacopy=off';
}

/** Unmounts a layered volume's overlay (when mounted) and tells the ledger. */
export async function unmountLayeredVolume(ctx: RuntimeContext, found: FoundVolume): Promise<void> {
  const d = volumeDirs(found);
  if (mountPoints().has(d.dir)) await run('umount', [d.dir], `volume ${found.record.name}`);
  ctx.ledger(found.record.project).remove({ kind: 'mount', path: d.dir });
}

/** Removes the parts a layered volume adds beside its folder (the caller removes the folder and record). */
export function removeLayeredParts(found: FoundVolume): void {
  const d = volumeDirs(found);
  if (mountPoints().has(d.dir)) spawnSync('umount', ['-l', d.dir]);
  for (const p of [d.upper, d.work, d.empty]) fs.rmSync(p, { recursive: true, force: true });
}

/** Where a discarded folder is moved before it is deleted: beside it, so the rename is instant. */
function discardPath(p: string): string {
  return path.join(path.dirname(p), `.discarded-${path.basename(p)}-${randomBytes(4).toString('hex')}`);
}

/** Renames `p` out of the way (when it exists); returns where it went. */
export function discard(p: string): string | undefined {
  if (!fs.existsSync(p)) return undefined;
  const to = discardPath(p);
  fs.renameSync(p, to);
  return to;
}

/** A fresh dir with the owner and mode of the root of the layer it goes over (overlayfs shows the upper's root as the volume's). */
export function freshDir(p: string, like: string | undefined, mode = 0o755): void {
  fs.mkdirSync(p, { mode });
  if (!like) return;
  const st = fs.statSync(like);
  fs.chownSync(p, st.uid, st.gid);
  fs.chmodSync(p, st.mode & 0o7777);
}

/**
 * Puts a volume onto `layers` (base first) with a new empty upper dir: its overlay unmounted, its
 * old data (upper dir, or the plain folder's files) renamed away, the record written, the overlay
 * mounted again. No user of it may be running (the caller checks). Resolves to the folders renamed
 * away, for the caller to delete off the reset's critical path.
 */
export async function resetVolume(ctx: RuntimeContext, found: FoundVolume, layers: string[]): Promise<string[]> {
  const what = `volume ${found.record.name}`;
  const d = volumeDirs(found);
  const top = layerDirsTopFirst(ctx.store, layers, what)[0];
  await unmountLayeredVolume(ctx, found);
  const gone = [found.record.layers ? discard(d.upper) : discard(d.dir), discard(d.work)].filter((p): p is string => p !== undefined);
  if (!found.record.layers) fs.mkdirSync(d.dir, { mode: 0o755 });
  freshDir(d.upper, top);
  fs.mkdirSync(d.work, { mode: 0o700 });
  const record = { ...found.record, layers };
  writeFileAtomic(`${d.dir}.json`, JSON.stringify(record, null, 1));
  await mountLayeredVolume(ctx, { record, dir: d.dir });
  return gone;
}

/** Mounts the layered named volumes among `mounts` that are not mounted (after a `down` without -v, or a reboot). */
export async function mountLayeredVolumesOf(ctx: RuntimeContext, project: string, mounts: readonly Mount[]): Promise<void> {
  for (const m of mounts) {
    if (m.type !== 'volume' || m.source === '') continue;
    const found = findVolume(ctx.root, m.source, project);
    if (found?.record.layers) await mountLayeredVolume(ctx, found);
  }
}
