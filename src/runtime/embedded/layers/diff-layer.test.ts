import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { lsetxattr, mknod } from '../native.js';
import { applyLayer } from './apply-layer.js';
import { diffLayer, type DiffOptions } from './diff-layer.js';
import { LayerError } from './layer-error.js';

const temps: string[] = [];
const mounts: string[] = [];
function tmp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-${label}-`));
  temps.push(dir);
  return dir;
}
/** Mounts an overlay (lowers top first; with upper+work when given) and returns the mount point. */
function overlay(lowers: string[], rw?: { upper: string; work: string }): string {
  const merged = tmp('merged');
  let opts = `lowerdir=${lowers.join(':')}`;
  if (rw) opts += `,upperdir=${rw.upper},workdir=${rw.work}`;
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `${opts},redirect_dir=off,index=off`, merged]);
  mounts.push(merged);
  return merged;
}
function unmount(merged: string): void {
  execFileSync('umount', [merged]);
  mounts.splice(mounts.indexOf(merged), 1);
}
afterEach(() => {
  for (const m of mounts.splice(0).reverse()) execFileSync('umount', ['-l', m]);
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The entry names of a layer tar, read back with tar-stream. */
async function names(tar: Buffer): Promise<string[]> {
  const out: string[] = [];
  const extract = tarStream.extract();
  extract.on('entry', (h, s, next) => {
    out.push(h.name);
    s.on('end', next).resume();
  });
  await new Promise((resolve, reject) => Readable.from([tar]).pipe(extract).on('finish', () => resolve(undefined)).on('error', reject));
  return out;
}
async function diff(upper: string, opts?: DiffOptions) {
  const { stream, digest } = diffLayer(upper, opts);
  const tar = await buffer(stream);
  return { tar, ...(await digest) };
}
/** What a merged view shows: path -> file content or the kind of node. */
function view(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of (fs.readdirSync(root, { recursive: true }) as string[]).sort()) {
    const st = fs.lstatSync(path.join(root, rel));
    out[rel] = st.isFile() ? fs.readFileSync(path.join(root, rel), 'utf8') : st.isDirectory() ? 'dir' : 'other';
  }
  return out;
}
function base(): string {
  const dir = tmp('base');
  fs.mkdirSync(path.join(dir, 'dir/sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'x'), 'x');
  fs.writeFileSync(path.join(dir, 'keep'), 'keep');
  fs.writeFileSync(path.join(dir, 'dir/old'), 'old');
  fs.writeFileSync(path.join(dir, 'dir/sub/older'), 'older');
  return dir;
}

describe.skipIf(unmet(requireRoot(), requireOverlay()))('layers in real overlay mounts', () => {
  it('an applied layer hides deleted files and opaque dirs when overlayfs stacks it', async () => {
    const pack = tarStream.pack();
    pack.entry({ name: '.wh.x', mode: 0o644 }, '');
    pack.entry({ name: 'dir/', type: 'directory', mode: 0o755 });
    pack.entry({ name: 'dir/.wh..wh..opq', mode: 0o644 }, '');
    pack.entry({ name: 'dir/new', mode: 0o644 }, 'new');
    pack.finalize();
    const layer = tmp('layer');
    await applyLayer(Readable.from(pack), layer);
    const merged = overlay([layer, base()]);
    expect(view(merged)).toEqual({ keep: 'keep', dir: 'dir', 'dir/new': 'new' });
  });

  it('diffing an upper dir after rm and rm -rf + mkdir gives .wh.x and .wh..wh..opq, and re-applies to the same view', async () => {
    const lower = base();
    const upper = tmp('upper');
    const work = tmp('work');
    const merged = overlay([lower], { upper, work });
    fs.rmSync(path.join(merged, 'x'));
    fs.rmSync(path.join(merged, 'dir'), { recursive: true });
    fs.mkdirSync(path.join(merged, 'dir'));
    fs.writeFileSync(path.join(merged, 'dir/new'), 'new');
    fs.writeFileSync(path.join(merged, 'keep'), 'changed');
    fs.writeFileSync(path.join(merged, 'added'), 'added');
    const expected = view(merged);
    unmount(merged); // an upper dir is exported once nothing writes to it

    const { tar } = await diff(upper, { lowerDirs: [lower] });
    // in the order of the names on disk, so the whiteout for x comes last
    expect(await names(tar)).toEqual(['added', 'dir/', 'dir/.wh..wh..opq', 'dir/new', 'keep', '.wh.x']);

    const layer = tmp('layer');
    await applyLayer(Readable.from([tar]), layer);
    expect(view(overlay([layer, lower]))).toEqual(expected);
  });

  it('leaves out whiteouts and opaque markers that hide nothing in the lower dirs, only when given them', async () => {
    const lower = base();
    const upper = tmp('upper');
    mknod(path.join(upper, 'x'), fs.constants.S_IFCHR, 0, 0); // hides lower x
    mknod(path.join(upper, 'never-there'), fs.constants.S_IFCHR, 0, 0);
    for (const d of ['dir', 'fresh']) {
      fs.mkdirSync(path.join(upper, d));
      lsetxattr(path.join(upper, d), 'trusted.overlay.opaque', Buffer.from('y'));
    }
    expect(await names((await diff(upper, { lowerDirs: [lower] })).tar)).toEqual(['dir/', 'dir/.wh..wh..opq', 'fresh/', '.wh.x']);
    expect(await names((await diff(upper)).tar)).toEqual(['dir/', 'dir/.wh..wh..opq', 'fresh/', 'fresh/.wh..wh..opq', '.wh.never-there', '.wh.x']);
  });
});

describe.skipIf(unmet(requireRoot()))('diffLayer', () => {
  it('refuses upper dirs it cannot express: redirect_dir renames and files named .wh.*', async () => {
    const upper = tmp('upper');
    fs.mkdirSync(path.join(upper, 'moved'));
    lsetxattr(path.join(upper, 'moved'), 'trusted.overlay.redirect', Buffer.from('/orig'));
    await expect(diff(upper)).rejects.toThrow(/redirect_dir=off/);
    const upper2 = tmp('upper');
    fs.writeFileSync(path.join(upper2, '.wh.sneaky'), '');
    const err = await diff(upper2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LayerError);
    expect((err as Error).message).toMatch(/"\.wh\.sneaky".*would read as a whiteout/);
  });

  it('writes hardlinks as link entries to the first name, skips sockets, and leaves out overlay and SELinux xattrs', async () => {
    const upper = tmp('upper');
    fs.writeFileSync(path.join(upper, 'a'), 'same');
    fs.linkSync(path.join(upper, 'a'), path.join(upper, 'b'));
    lsetxattr(path.join(upper, 'a'), 'trusted.overlay.origin', Buffer.from('x'));
    lsetxattr(path.join(upper, 'a'), 'user.kept', Buffer.from('k'));
    const server = (await import('node:net')).createServer().listen(path.join(upper, 'sock'));
    await new Promise((r) => server.once('listening', r));
    try {
      const { tar } = await diff(upper);
      const seen: string[] = [];
      const extract = tarStream.extract();
      extract.on('entry', (h, s, next) => {
        const pax = (h as { pax?: Record<string, string> }).pax ?? {};
        seen.push(`${h.type} ${h.name}${h.linkname ? ` -> ${h.linkname}` : ''} ${Object.keys(pax).join(',')}`.trim());
        s.on('end', next).resume();
      });
      await new Promise((resolve, reject) => Readable.from([tar]).pipe(extract).on('finish', () => resolve(undefined)).on('error', reject));
      expect(seen).toEqual(['file a SCHILY.xattr.user.kept', 'link b -> a']);
    } finally {
      server.close();
    }
  });
});
