import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.js';
import { fileDigest } from './copy-plan.js';
import { FileDigests } from './file-digests.js';

describe('FileDigests', () => {
  let base: string;
  let ctx: string;
  let store: Store;
  let reads: string[];
  const hash = (abs: string) => {
    reads.push(path.basename(abs));
    return fileDigest(abs);
  };
  /** A memo whose clock is an hour ahead, so files written just now are not "racy". */
  const later = () => FileDigests.forContext(store, ctx, hash, () => Date.now() + 3_600_000);
  const digestOf = (memo: FileDigests, name: string) => memo.digest(path.join(ctx, name), fs.lstatSync(path.join(ctx, name)));
  const write = (name: string, text: string) => fs.writeFileSync(path.join(ctx, name), text);

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-file-digests-'));
    ctx = path.join(base, 'ctx');
    fs.mkdirSync(ctx);
    store = openStore(path.join(base, 'store'));
    reads = [];
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('reads an unchanged file once, across builds', () => {
    write('a.txt', 'alpha\n');
    write('b.txt', 'beta\n');
    const first = later();
    const a = digestOf(first, 'a.txt');
    expect(a).toBe(fileDigest(path.join(ctx, 'a.txt')));
    digestOf(first, 'b.txt');
    first.save();
    const second = later();
    expect(digestOf(second, 'a.txt')).toBe(a);
    digestOf(second, 'b.txt');
    expect(reads).toEqual(['a.txt', 'b.txt']);
  });

  it('reads a file again when it was replaced or resized', () => {
    write('a.txt', 'alpha\n');
    const first = later();
    digestOf(first, 'a.txt');
    first.save();
    fs.writeFileSync(path.join(ctx, 'a.new'), 'omega\n');
    fs.renameSync(path.join(ctx, 'a.new'), path.join(ctx, 'a.txt')); // same size, new inode
    const second = later();
    expect(digestOf(second, 'a.txt')).toBe(fileDigest(path.join(ctx, 'a.txt')));
    second.save();
    write('a.txt', 'alpha, longer\n');
    expect(digestOf(later(), 'a.txt')).toBe(fileDigest(path.join(ctx, 'a.txt')));
    expect(reads).toEqual(['a.txt', 'a.txt', 'a.txt']);
  });

  it('does not remember a file changed within the last second (its timestamps could still match a change)', () => {
    write('a.txt', 'alpha\n');
    const now = FileDigests.forContext(store, ctx, hash);
    digestOf(now, 'a.txt');
    now.save();
    digestOf(FileDigests.forContext(store, ctx, hash), 'a.txt');
    expect(reads).toEqual(['a.txt', 'a.txt']);
  });

  it('keeps one memo per context folder in the store, and ignores a damaged one', () => {
    write('a.txt', 'alpha\n');
    const memo = later();
    digestOf(memo, 'a.txt');
    memo.save();
    const dir = path.join(path.dirname(store.paths.cache), 'file-digests');
    const [file, ...more] = fs.readdirSync(dir);
    expect(more).toEqual([]);
    fs.writeFileSync(path.join(dir, file!), '{"format": 1, "entr');
    expect(digestOf(later(), 'a.txt')).toBe(fileDigest(path.join(ctx, 'a.txt')));
    expect(reads).toEqual(['a.txt', 'a.txt']);
  });
});
