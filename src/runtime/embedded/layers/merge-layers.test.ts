import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeLayers } from './merge-layers.js';

const temps: string[] = [];
function tmp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-merge-${label}-`));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A layer tar made by GNU tar from files (whiteouts are plain empty files named `.wh.*`, as in OCI layers). */
function layer(files: Record<string, string | null>, mode?: Record<string, number>): string {
  const dir = tmp('layer');
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    if (content === null) fs.mkdirSync(abs, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, content);
    }
  }
  for (const [rel, m] of Object.entries(mode ?? {})) fs.chmodSync(path.join(dir, rel), m);
  const file = path.join(tmp('tar'), 'layer.tar');
  execFileSync('tar', ['-cf', file, '-C', dir, '--sort=name', '.']);
  return file;
}

/** The tree GNU tar extracts from the merged tar: path, kind, mode and content. */
async function merged(...layers: string[]): Promise<string[]> {
  const out = path.join(tmp('out'), 'merged.tar');
  await pipeline(mergeLayers(layers.map((f) => () => fs.createReadStream(f)), 'test volume'), fs.createWriteStream(out));
  const dir = tmp('extract');
  execFileSync('tar', ['-xf', out, '-C', dir]);
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((rel) => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    const what = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `-> ${fs.readlinkSync(abs)}` : `= ${fs.readFileSync(abs, 'utf8')}`;
    return `${rel} ${(st.mode & 0o7777).toString(8)} ${what}`;
  });
}

describe('layer tars merged into one tar of the tree they stack to', () => {
  it('applies files, whiteouts, opaque folders and replaced folders top-most first', async () => {
    const base = layer({ 'a/old': 'old', 'a/keep': 'keep', 'b/x': 'x', 'c/y': 'y', gone: 'gone', 'dir-then-file/z': 'z', big: 'b'.repeat(70_000) });
    const mid = layer({ 'a/keep': 'keep2', 'a/.wh.old': '', 'b/.wh..wh..opq': '', 'b/new': 'new', '.wh.gone': '', 'dir-then-file': 'now a file' }, { b: 0o700 });
    const top = layer({ 'a/top': 'top', gone: 'back', 'b/.wh.new': '' }, { b: 0o750 }); // b's mode is the top-most layer's
    expect(await merged(base, mid, top)).toEqual([
      'a 755 dir',
      'a/keep 644 = keep2',
      'a/top 644 = top',
      'b 750 dir',
      `big 644 = ${'b'.repeat(70_000)}`,
      'c 755 dir',
      'c/y 644 = y',
      'dir-then-file 644 = now a file',
      'gone 644 = back',
    ]);
  });

  it('keeps hard links within a layer, and refuses one whose target a layer above replaced', async () => {
    const dir = tmp('links');
    fs.writeFileSync(`${dir}/f`, 'same');
    fs.linkSync(`${dir}/f`, `${dir}/g`);
    const linked = path.join(tmp('tar'), 'links.tar');
    execFileSync('tar', ['-cf', linked, '-C', dir, '--sort=name', '.']);
    expect(execFileSync('tar', ['-tvf', linked], { encoding: 'utf8' })).toContain('link to ./f');
    expect(await merged(linked)).toEqual(['f 644 = same', 'g 644 = same']);
    const out = path.join(tmp('out'), 'merged.tar');
    await pipeline(mergeLayers([() => fs.createReadStream(linked)], 'test volume'), fs.createWriteStream(out));
    expect(execFileSync('tar', ['-tvf', out], { encoding: 'utf8' })).toMatch(/^h.* g link to f$/m);
    await expect(merged(linked, layer({ f: 'replaced' }))).rejects.toThrow('hard link g -> f names a file this layer does not show');
  });

  it('gives one layer back as it is, without its whiteouts', async () => {
    expect(await merged(layer({ 'd/f': 'f', 'd/.wh.g': '' }))).toEqual(['d 755 dir', 'd/f 644 = f']);
  });
});
