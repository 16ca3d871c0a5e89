import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.js';
import { ContextDigests, hashFile } from './context-digests.js';

const tmp = (): Promise<string> => tempDir('hafen-ctx-digests-');

/** Digests `names` of `context` as one build would (loaded, each digested, saved); what it read. */
async function build(root: string, context: string, names: string[], now: () => number): Promise<{ read: number; hashes: string[] }> {
  const digests = ContextDigests.load(root, context, now);
  const hashes: string[] = [];
  for (const n of names) hashes.push((await digests.digest(n, path.join(context, n), fs.lstatSync(path.join(context, n)))).hash);
  digests.save();
  return { read: digests.stats.read, hashes };
}

describe('a context\'s remembered digests', () => {
  const later = (): number => Date.now() + 10_000;

  it('reads an unchanged file once; a changed one (same size, new times) again; a removed one is forgotten', async () => {
    const root = await tmp();
    const ctx = await tmp();
    fs.writeFileSync(path.join(ctx, 'a'), 'aaaa');
    fs.writeFileSync(path.join(ctx, 'b'), 'bbbb');
    const first = await build(root, ctx, ['a', 'b'], later);
    expect(first.read).toBe(2);
    expect(first.hashes[0]).toBe((await hashFile(path.join(ctx, 'a'))).hash);
    expect((await build(root, ctx, ['a', 'b'], later)).read).toBe(0);

    fs.writeFileSync(path.join(ctx, 'a'), 'AAAA'); // same size
    const changed = await build(root, ctx, ['a', 'b'], later);
    expect(changed.read).toBe(1);
    expect(changed.hashes[0]).not.toBe(first.hashes[0]);

    await build(root, ctx, ['b'], later); // a left the context
    expect((await build(root, ctx, ['a', 'b'], later)).read).toBe(1);
  });

  it('does not trust a file whose times were recent when it was hashed (it may change again within the same tick)', async () => {
    const root = await tmp();
    const ctx = await tmp();
    fs.writeFileSync(path.join(ctx, 'a'), 'aaaa');
    expect((await build(root, ctx, ['a'], Date.now)).read).toBe(1);
    expect((await build(root, ctx, ['a'], Date.now)).read).toBe(1);
    // Hashed once its times lie two seconds back: remembered from then on.
    expect((await build(root, ctx, ['a'], later)).read).toBe(1);
    expect((await build(root, ctx, ['a'], Date.now)).read).toBe(0);
  });

  it('keeps one record per context folder, and an unreadable record only costs a full read', async () => {
    const root = await tmp();
    const one = await tmp();
    const two = await tmp();
    for (const c of [one, two]) fs.writeFileSync(path.join(c, 'a'), c);
    await build(root, one, ['a'], later);
    expect((await build(root, two, ['a'], later)).read).toBe(1);
    expect((await build(root, one, ['a'], later)).read).toBe(0);
    for (const f of fs.readdirSync(path.join(root, 'build-contexts'))) fs.writeFileSync(path.join(root, 'build-contexts', f), '{not json');
    expect((await build(root, one, ['a'], later)).read).toBe(1);
  });
});
