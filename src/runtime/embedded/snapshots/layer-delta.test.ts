import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { lgetxattr, lsetxattr } from '../native.js';
import { ctimeProbe } from './capture-marker.js';
import { NotIncremental, reduceToDelta } from './layer-delta.js';

const temps: string[] = [];
const mounts: string[] = [];
function tmp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-delta-${label}-`));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const m of mounts.splice(0).reverse()) execFileSync('umount', ['-l', m]);
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Mounts an overlay (lowers top first; read-write when upper and work are given); returns its mount point. */
function overlay(lowers: string[], rw?: { upper: string; work: string }): string {
  const merged = tmp('merged');
  const opts = `lowerdir=${lowers.join(':')}${rw ? `,upperdir=${rw.upper},workdir=${rw.work}` : ''},redirect_dir=off,index=off,metacopy=off`;
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged]);
  mounts.push(merged);
  return merged;
}

/** A tree as lines: path, type, mode, owner, and content or link target. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((rel) => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    const what = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `-> ${fs.readlinkSync(abs)}` : `= ${fs.readFileSync(abs, 'utf8')}`;
    return `${rel} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`;
  });
}

/** The entries of a layer folder, whiteouts and opaque folders marked. */
function entries(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((rel) => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    if (st.isCharacterDevice() && st.rdev === 0) return `${rel} (whiteout)`;
    if (st.isDirectory()) return `${rel}/${lgetxattr(abs, 'trusted.overlay.opaque')?.toString() === 'y' ? ' (opaque)' : ''}`;
    return rel;
  });
}

/** A container's layers: an image folder under a live overlay, and a copy of its upper (`cp -a`, as a snapshot makes). */
function container() {
  const base = tmp('base');
  fs.mkdirSync(`${base}/etc`);
  fs.writeFileSync(`${base}/etc/group`, 'root:x:0:\n');
  fs.mkdirSync(`${base}/opt/tool`, { recursive: true });
  fs.writeFileSync(`${base}/opt/tool/bin`, 'tool');
  const upper = tmp('upper');
  const work = tmp('work');
  const live = overlay([base], { upper, work });
  const snap = (): string => {
    const to = path.join(tmp('copy'), 'c');
    execFileSync('cp', ['-a', '--', upper, to]);
    return to;
  };
  return { base, upper, live, snap };
}

describe.skipIf(unmet(requireRoot(), requireOverlay()))('a layer of what changed since the previous snapshot', () => {
  it('holds added, changed, deleted and replaced entries only, and stacks to the live tree', async () => {
    const { base, upper, live, snap } = container();
    fs.mkdirSync(`${live}/data/keep`, { recursive: true });
    fs.writeFileSync(`${live}/data/keep/big`, 'x'.repeat(100_000));
    fs.writeFileSync(`${live}/data/same-size`, 'aaaa');
    fs.writeFileSync(`${live}/data/gone`, 'gone');
    fs.writeFileSync(`${live}/data/becomes-dir`, 'file');
    fs.mkdirSync(`${live}/data/becomes-file`);
    fs.writeFileSync(`${live}/data/becomes-file/inner`, 'inner');
    fs.symlinkSync('keep/big', `${live}/data/link`);
    fs.chmodSync(`${live}/data/keep`, 0o750);
    fs.rmSync(`${live}/etc/group`); // a whiteout over the image's file
    const a = snap();
    await sleep(30); // the files above are older than the probe, on the kernel's coarse clock too
    const probe = ctimeProbe(tmp('probe'));

    fs.writeFileSync(`${live}/data/new`, 'new');
    fs.writeFileSync(`${live}/data/same-size`, 'bbbb'); // same size, then the same mtime again: only ctime tells
    const old = fs.statSync(`${a}/data/same-size`);
    fs.utimesSync(`${live}/data/same-size`, old.atime, old.mtime);
    fs.rmSync(`${live}/data/gone`);
    fs.rmSync(`${live}/data/becomes-dir`);
    fs.mkdirSync(`${live}/data/becomes-dir`);
    fs.writeFileSync(`${live}/data/becomes-dir/x`, 'x');
    fs.rmSync(`${live}/data/becomes-file`, { recursive: true });
    fs.writeFileSync(`${live}/data/becomes-file`, 'now a file');
    fs.rmSync(`${live}/opt/tool`, { recursive: true }); // an image folder deleted: a whiteout
    const b = snap();
    reduceToDelta(b, [a], { live: upper, ctimeBefore: probe, below: [base] });

    expect(entries(b)).toEqual([
      'data/',
      'data/becomes-dir/ (opaque)',
      'data/becomes-dir/x',
      'data/becomes-file',
      'data/gone (whiteout)',
      'data/new',
      'data/same-size',
      'opt/',
      'opt/tool (whiteout)',
    ]);
    expect(fs.readFileSync(`${b}/data/same-size`, 'utf8')).toBe('bbbb');
    expect(tree(overlay([b, a, base]))).toEqual(tree(live));
    expect(tree(overlay([a, base]))).toContain('data/gone 644 0:0 = gone');

    // A third snapshot over both: against the merged view of the two layers.
    await sleep(30);
    const probe2 = ctimeProbe(tmp('probe'));
    fs.writeFileSync(`${live}/data/keep/big`, 'y'.repeat(10));
    fs.rmSync(`${live}/data/new`);
    fs.writeFileSync(`${live}/etc/group`, 'back\n');
    const c = snap();
    reduceToDelta(c, [b, a], { live: upper, ctimeBefore: probe2, below: [base] });
    expect(entries(c)).toEqual(['data/', 'data/keep/', 'data/keep/big', 'data/new (whiteout)', 'etc/', 'etc/group']);
    expect(tree(overlay([c, b, a, base]))).toEqual(tree(live));
  });

  it('leaves nothing when nothing changed, and a folder whose mode changed alone', async () => {
    const { base, upper, live, snap } = container();
    fs.mkdirSync(`${live}/d`);
    fs.writeFileSync(`${live}/d/f`, 'f');
    const a = snap();
    await sleep(30);
    const probe = ctimeProbe(tmp('probe'));
    const same = snap();
    reduceToDelta(same, [a], { live: upper, ctimeBefore: probe, below: [base] });
    expect(entries(same)).toEqual([]);
    fs.chmodSync(`${live}/d`, 0o700);
    const moded = snap();
    reduceToDelta(moded, [a], { live: upper, ctimeBefore: probe, below: [base] });
    expect(entries(moded)).toEqual(['d/']);
  });

  it('keeps a folder whose only change is its mtime or its owner, with the live folder\'s times, and nothing more the time after', async () => {
    const { base, upper, live, snap } = container();
    fs.mkdirSync(`${live}/d/sub`, { recursive: true });
    fs.writeFileSync(`${live}/d/sub/f`, 'f');
    fs.mkdirSync(`${live}/owned`);
    fs.writeFileSync(`${live}/d/gone`, 'gone');
    const a = snap();
    await sleep(30);
    const probe = ctimeProbe(tmp('probe'));
    execFileSync('touch', ['-d', '2020-01-02T03:04:05.678901234Z', `${live}/d/sub`]); // mtime alone
    fs.chownSync(`${live}/owned`, 1234, 5678); // owner alone
    fs.writeFileSync(`${live}/d/tmp`, 'x'); // made and removed again: only d's mtime tells
    fs.rmSync(`${live}/d/tmp`);
    const b = snap();
    reduceToDelta(b, [a], { live: upper, ctimeBefore: probe, below: [base] });
    expect(entries(b)).toEqual(['d/', 'd/sub/', 'owned/']);
    const merged = overlay([b, a, base]);
    const mtime = (dir: string, rel: string): bigint => fs.statSync(path.join(dir, rel), { bigint: true }).mtimeNs;
    for (const rel of ['d', 'd/sub']) expect(mtime(merged, rel) / 1000n).toBe(mtime(live, rel) / 1000n);
    expect(mtime(merged, 'd/sub')).toBe(1577934245678901000n);
    expect(fs.statSync(`${merged}/owned`).uid).toBe(1234);
    expect(tree(merged)).toEqual(tree(live));

    // Against a delta whose folders had entries removed: their times were put back, so nothing differs.
    await sleep(30);
    const probe2 = ctimeProbe(tmp('probe'));
    const c = snap();
    reduceToDelta(c, [b, a], { live: upper, ctimeBefore: probe2, below: [base] });
    expect(entries(c)).toEqual([]);
  });

  it('counts a file whose ctime is not older than the probe as changed, even with the same size and mtime', async () => {
    const { base, upper, live, snap } = container();
    fs.writeFileSync(`${live}/f`, 'f');
    const a = snap();
    const probe = ctimeProbe(tmp('probe')); // no wait: f may share the probe's tick, so it cannot be known unchanged
    const b = snap();
    reduceToDelta(b, [a], { live: upper, ctimeBefore: probe, below: [base] });
    const ctime = fs.statSync(`${upper}/f`, { bigint: true }).ctimeNs;
    expect(entries(b)).toEqual(ctime < probe ? [] : ['f']);
  });

  it('refuses (leaving the copy whole) when an opaque folder of the previous layer is merged now', () => {
    const prev = tmp('prev');
    const copy = tmp('now');
    const below = tmp('below');
    fs.mkdirSync(`${below}/dir`);
    for (const d of [prev, copy]) {
      fs.mkdirSync(`${d}/dir`);
      fs.writeFileSync(`${d}/dir/f`, 'f');
    }
    lsetxattr(`${prev}/dir`, 'trusted.overlay.opaque', Buffer.from('y'));
    expect(() => reduceToDelta(copy, [prev], { live: copy, ctimeBefore: 0n, below: [below] })).toThrow(NotIncremental);
    expect(entries(copy)).toEqual(['dir/', 'dir/f']);
  });
});
