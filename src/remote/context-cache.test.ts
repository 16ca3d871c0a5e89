import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../runtime/embedded/layers/index.js';
import { ContextCache } from './context-cache.js';
import { manifestOf, type SentContext } from './context-manifest.js';
import { packContext } from './context-tar.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-ctx-cache-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** What the CLI would send for `context` given what `cache` has, as remote-runtime.ts builds it. */
async function send(cache: ContextCache, context: string, key = 'p/app'): Promise<SentContext> {
  const { tar } = await packContext({ contextDir: context, dockerfile: 'Dockerfile', tag: 'p-app' } as Parameters<typeof packContext>[0]);
  const { entries, blobs } = await manifestOf(tar);
  const missing = cache.missing([...blobs.keys()]);
  return { key, entries, blobs: Object.fromEntries(missing.map((h) => [h, blobs.get(h)!.toString('base64')])) };
}

describe('the remote context cache', () => {
  it('sends only missing files, puts the context back together (.dockerignore applied, modes, links) and keeps only the last context of a key', async () => {
    const context = tmp();
    fs.mkdirSync(path.join(context, 'sub'));
    fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM host\n');
    fs.writeFileSync(path.join(context, 'sub/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(context, 'secret'), 'no\n');
    fs.writeFileSync(path.join(context, '.dockerignore'), 'secret\n');
    fs.symlinkSync('sub/run.sh', path.join(context, 'link'));
    const root = tmp();
    const cache = new ContextCache(root);

    const first = await send(cache, context);
    expect(Object.keys(first.blobs).length).toBe(3); // Dockerfile, run.sh, .dockerignore
    cache.store(first.blobs);
    const out = tmp();
    await applyLayer(cache.tarOf(first.entries), out);
    cache.remember(first);
    expect(fs.readdirSync(out).sort()).toEqual(['.dockerignore', 'Dockerfile', 'link', 'sub']);
    expect(fs.statSync(path.join(out, 'sub/run.sh')).mode & 0o777).toBe(0o755);
    expect(fs.readlinkSync(path.join(out, 'link'))).toBe('sub/run.sh');

    const again = await send(cache, context);
    expect(again.blobs).toEqual({});
    cache.remember(again);

    fs.writeFileSync(path.join(context, 'sub/run.sh'), '#!/bin/sh\necho changed\n');
    const changed = await send(cache, context);
    expect(Object.keys(changed.blobs).length).toBe(1);
    cache.store(changed.blobs);
    const out2 = tmp();
    await applyLayer(cache.tarOf(changed.entries), out2);
    cache.remember(changed);
    expect(fs.readFileSync(path.join(out2, 'sub/run.sh'), 'utf8')).toContain('changed');
    // The old run.sh is no key's last context any more: gone from the cache.
    expect(fs.readdirSync(path.join(root, 'build-contexts/blobs')).length).toBe(3);
    const stillThere = await send(cache, context, 'p/other');
    expect(stillThere.blobs).toEqual({});
    cache.release(stillThere.entries.flatMap((e) => (e.hash ? [e.hash] : [])));
  });

  it('refuses a blob that does not have its name and a name that is not a hash', () => {
    const cache = new ContextCache(tmp());
    expect(() => cache.store({ ['0'.repeat(64)]: Buffer.from('x').toString('base64') })).toThrow(/does not have that hash/);
    expect(() => cache.missing(['../../etc/passwd'])).toThrow(/not a sha256/);
  });
});
