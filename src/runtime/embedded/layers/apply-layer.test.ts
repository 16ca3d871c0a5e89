import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import tarStream from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { snapshotTree } from '../../../testing/tree-snapshot.js';
import { lgetxattr, lsetxattr, mknod } from '../native.js';
import { applyLayer } from './apply-layer.js';
import { diffLayer } from './diff-layer.js';
import { sha256 } from './ids.js';
import { LayerError } from './layer-error.js';

const temps: string[] = [];
function tmp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-${label}-`));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function diffToBuffer(dir: string) {
  const { stream, digest } = diffLayer(dir);
  const tar = await buffer(stream);
  return { tar, ...(await digest) };
}

/** Sets mtimes bottom-up (a directory after its contents), one second apart, from 1_600_000_000. */
function stampTimes(root: string): void {
  let t = 1_600_000_000;
  const visit = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) visit(p);
      fs.lutimesSync(p, t, t);
      t += 1;
    }
  };
  visit(root);
}

/** A tree with every kind of entry and property a layer must carry. */
function buildTree(root: string): void {
  const at = (rel: string) => path.join(root, rel);
  for (const d of ['bin', 'etc/conf.d', 'data', 'other', 'run', 'dev', 'tmp', 'emptydir', 'shared', `long/${'n'.repeat(120)}`, 'grüße']) {
    fs.mkdirSync(at(d), { recursive: true });
  }
  fs.writeFileSync(at('bin/tool'), '#!/bin/sh\necho tool\n');
  fs.chmodSync(at('bin/tool'), 0o4755);
  lsetxattr(at('bin/tool'), 'trusted.capability-like', Buffer.from([1, 0, 0, 2, 0x80, 0x20, 0, 0, 0xff, 0, 0, 0]));
  lsetxattr(at('bin/tool'), 'user.x', Buffer.from('hello'));
  fs.writeFileSync(at('etc/conf.d/app.conf'), 'key=value\n');
  fs.chownSync(at('etc/conf.d/app.conf'), 1000, 1001);
  fs.chmodSync(at('etc/conf.d/app.conf'), 0o640);
  lsetxattr(at('etc/conf.d'), 'user.dir', Buffer.from('on a dir'));
  fs.writeFileSync(at('data/big'), Buffer.alloc(2_500_000, 'abcdefghij'));
  fs.writeFileSync(at('data/a'), 'shared inode');
  fs.linkSync(at('data/a'), at('data/b'));
  fs.linkSync(at('data/a'), at('other/c'));
  fs.writeFileSync(at('empty'), '');
  fs.chownSync(at('emptydir'), 123, 456);
  fs.chmodSync(at('emptydir'), 0o700);
  fs.chmodSync(at('tmp'), 0o1777);
  fs.chmodSync(at('shared'), 0o2775);
  fs.symlinkSync('/usr/bin/env', at('bin/abs'));
  fs.symlinkSync('../etc/conf.d/app.conf', at('bin/rel'));
  fs.symlinkSync('nowhere', at('dangling'));
  lsetxattr(at('dangling'), 'trusted.on-link', Buffer.from('x'));
  fs.lchownSync(at('dangling'), 7, 8);
  execFileSync('mkfifo', ['-m', '600', at('run/fifo')]);
  mknod(at('dev/null'), fs.constants.S_IFCHR | 0o666, 1, 3);
  mknod(at('dev/loop9'), fs.constants.S_IFBLK | 0o660, 7, 9);
  fs.chmodSync(at('dev/null'), 0o666);
  fs.writeFileSync(at(`long/${'n'.repeat(120)}/${'f'.repeat(100)}`), 'long name');
  fs.writeFileSync(at('grüße/ünïcode'), 'utf-8');
  fs.writeFileSync(at('bigid'), 'id');
  fs.chownSync(at('bigid'), 3_000_000, 3_000_001);
  fs.writeFileSync(at('old'), 'before 1970');
  stampTimes(root);
  fs.lutimesSync(at('old'), -86_400, -86_400); // the root's own times are not part of a layer
}

describe.skipIf(unmet(requireRoot()))('applyLayer and diffLayer round trip', () => {
  it('keeps files, modes with setuid/sticky/setgid, owners, symlinks, hardlinks, fifos, devices, xattrs, empty dirs and mtimes', async () => {
    const src = tmp('src');
    buildTree(src);
    const { tar, diffId, size } = await diffToBuffer(src);
    expect(size).toBe(tar.length);
    expect(diffId).toBe(sha256(tar));

    const dst = tmp('dst');
    const applied = await applyLayer(Readable.from([tar]), dst);
    expect(applied).toMatchObject({ diffId, size, compression: 'none', warnings: [] });
    expect(snapshotTree(dst)).toEqual(snapshotTree(src));
    expect(fs.readlinkSync(path.join(dst, 'bin/abs'))).toBe('/usr/bin/env'); // absolute target kept verbatim
    expect(fs.statSync(path.join(dst, 'data/a')).nlink).toBe(3);

    // The unpacked tree exports to the very same bytes.
    expect((await diffToBuffer(dst)).diffId).toBe(diffId);
  });

  it('is deterministic: two exports of one tree have the same DiffID; an empty tree is Docker\'s empty layer', async () => {
    const src = tmp('src');
    buildTree(src);
    const a = await diffToBuffer(src);
    const b = await diffToBuffer(src);
    expect(b.tar.equals(a.tar)).toBe(true);
    expect((await diffToBuffer(tmp('empty'))).diffId).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  });

  it('reads gzip and zstd layers, with the DiffID of the uncompressed tar', async () => {
    const src = tmp('src');
    buildTree(src);
    const { tar, diffId } = await diffToBuffer(src);
    const gz = zlib.gzipSync(tar);
    const gzDir = tmp('gz');
    expect(await applyLayer(Readable.from([gz.subarray(0, 3), gz.subarray(3)]), gzDir)).toMatchObject({ diffId, compression: 'gzip' });
    expect(snapshotTree(gzDir)).toEqual(snapshotTree(src));
    if (!requireCommand('zstd').check()) {
      const zst = execFileSync('zstd', ['-c', '-q'], { input: tar, maxBuffer: 1 << 26 });
      const zDir = tmp('zst');
      expect(await applyLayer(Readable.from([zst]), zDir)).toMatchObject({ diffId, compression: 'zstd' });
      expect(snapshotTree(zDir)).toEqual(snapshotTree(src));
    }
  });

  it('says so when a zstd layer meets a machine without the zstd tool', async () => {
    const zst = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    const savedPath = process.env.PATH;
    process.env.PATH = tmp('nopath');
    try {
      await expect(applyLayer(Readable.from([zst]), tmp('dst'))).rejects.toThrow(/zstd.*not installed/);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('refuses corrupt gzip, xz, and truncated tars with a LayerError', async () => {
    const src = tmp('src');
    fs.writeFileSync(path.join(src, 'f'), Buffer.alloc(100_000, 1));
    const { tar } = await diffToBuffer(src);
    const gz = zlib.gzipSync(tar);
    await expect(applyLayer(Readable.from([gz.subarray(0, gz.length - 20)]), tmp('dst'))).rejects.toThrow(/cannot decompress the gzip layer/);
    await expect(applyLayer(Readable.from([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 1])]), tmp('dst'))).rejects.toThrow(/xz-compressed/);
    await expect(applyLayer(Readable.from([tar.subarray(0, 5000)]), tmp('dst'))).rejects.toBeInstanceOf(LayerError);
  });

  it('turns .wh.NAME into an overlay whiteout and .wh..wh..opq into the opaque xattr, and back', async () => {
    const pack = tarStream.pack();
    pack.entry({ name: 'dir/', type: 'directory', mode: 0o755 });
    pack.entry({ name: 'dir/.wh..wh..opq', mode: 0o644 }, '');
    pack.entry({ name: 'dir/kept', mode: 0o644 }, 'kept');
    pack.entry({ name: '.wh.gone', mode: 0o644 }, '');
    pack.entry({ name: 'implicit/.wh.deep', mode: 0o644 }, '');
    pack.finalize();
    const dst = tmp('dst');
    await applyLayer(Readable.from(pack), dst);
    const gone = fs.lstatSync(path.join(dst, 'gone'));
    expect(gone.isCharacterDevice() && gone.rdev === 0).toBe(true);
    expect(fs.lstatSync(path.join(dst, 'implicit/deep')).isCharacterDevice()).toBe(true);
    expect(lgetxattr(path.join(dst, 'dir'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(fs.readFileSync(path.join(dst, 'dir/kept'), 'utf8')).toBe('kept');

    const names: string[] = [];
    const extract = tarStream.extract();
    extract.on('entry', (h, s, next) => {
      names.push(h.name);
      s.on('end', next).resume();
    });
    await new Promise((resolve, reject) => diffLayer(dst).stream.pipe(extract).on('finish', () => resolve(undefined)).on('error', reject));
    // sorted by the names on disk: `gone` (a whiteout) sorts after `dir`
    expect(names).toEqual(['dir/', 'dir/.wh..wh..opq', 'dir/kept', '.wh.gone', 'implicit/', 'implicit/.wh.deep']);
  });

  it('replaces what an earlier entry made: a dir over a file, a file over a dir, a symlink over a dir', async () => {
    const pack = tarStream.pack();
    pack.entry({ name: 'x', mode: 0o644 }, 'file first');
    pack.entry({ name: 'x/', type: 'directory', mode: 0o750 });
    pack.entry({ name: 'x/inner', mode: 0o644 }, 'inner');
    pack.entry({ name: 'y/sub/f', mode: 0o644 }, 'deep');
    pack.entry({ name: 'y', mode: 0o600 }, 'now a file');
    pack.entry({ name: 'z/a', mode: 0o644 }, 'a');
    pack.entry({ name: 'z', type: 'symlink', linkname: '/elsewhere' });
    pack.entry({ name: 'z2/', type: 'directory', mode: 0o755 });
    pack.entry({ name: 'z2/', type: 'directory', mode: 0o700 }); // a second dir entry keeps contents, takes the mode
    pack.finalize();
    const dst = tmp('dst');
    await applyLayer(Readable.from(pack), dst);
    expect(fs.readFileSync(path.join(dst, 'x/inner'), 'utf8')).toBe('inner');
    expect(fs.lstatSync(path.join(dst, 'x')).mode & 0o7777).toBe(0o750);
    expect(fs.readFileSync(path.join(dst, 'y'), 'utf8')).toBe('now a file');
    expect(fs.readlinkSync(path.join(dst, 'z'))).toBe('/elsewhere');
    expect(fs.lstatSync(path.join(dst, 'z2')).mode & 0o7777).toBe(0o700);
  });

  it('refuses device nodes when told to, and skips them with a warning when told to', async () => {
    const make = () => {
      const pack = tarStream.pack();
      pack.entry({ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 });
      pack.entry({ name: 'run/fifo', type: 'fifo', mode: 0o600 });
      pack.finalize();
      return pack;
    };
    await expect(applyLayer(Readable.from(make()), tmp('dst'), { devices: 'refuse' })).rejects.toThrow(/device nodes are not allowed/);
    const dst = tmp('dst');
    const r = await applyLayer(Readable.from(make()), dst, { devices: 'skip' });
    expect(r.warnings).toEqual(['skipped device node dev/sda (block 8:0)']);
    expect(fs.existsSync(path.join(dst, 'dev/sda'))).toBe(false);
    expect(fs.lstatSync(path.join(dst, 'run/fifo')).isFIFO()).toBe(true);
  });

  it('ignores overlayfs xattrs carried in a tar (they could redirect lookups), with a warning', async () => {
    const pack = tarStream.pack();
    pack.entry({ name: 'd/', type: 'directory', mode: 0o755, pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.user.ok': 'yes' } });
    pack.finalize();
    const dst = tmp('dst');
    const r = await applyLayer(Readable.from(pack), dst);
    expect(r.warnings).toEqual(['ignored xattr trusted.overlay.redirect on d/ (overlayfs internals are never taken from a tar)']);
    expect(lgetxattr(path.join(dst, 'd'), 'trusted.overlay.redirect')).toBeNull();
    expect(lgetxattr(path.join(dst, 'd'), 'user.ok')?.toString()).toBe('yes');
  });

  it('stops when its signal aborts, and refuses a target that is not a directory', async () => {
    const src = tmp('src');
    fs.writeFileSync(path.join(src, 'f'), Buffer.alloc(4_000_000, 1));
    const { tar } = await diffToBuffer(src);
    const controller = new AbortController();
    async function* slow() {
      yield tar.subarray(0, 100_000);
      controller.abort();
      await new Promise((r) => setTimeout(r, 10));
      yield tar.subarray(100_000);
    }
    await expect(applyLayer(slow(), tmp('dst'), { signal: controller.signal })).rejects.toThrow(/aborted/i);
    const link = path.join(tmp('dst'), 'link');
    fs.symlinkSync(tmp('elsewhere'), link);
    await expect(applyLayer(Readable.from([tar]), link)).rejects.toThrow(/not a directory/);
  });
});
