import fs from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.js';
import { applyLayer } from '../runtime/embedded/layers/index.js';
import { buildContext } from '../runtime/docker/build-context.js';
import { contextEntries } from '../runtime/docker/context-entries.js';
import { ContextCache, type BlobPiece, type MissingAnswer } from './context-cache.js';
import { ContextDigests } from './context-digests.js';
import { manifestOf, type ManifestEntry, type SentContext } from './context-manifest.js';
import { sendListing } from './context-send.js';
import { uploadFiles } from './context-upload.js';

const tmp = (): Promise<string> => tempDir('hafen-ctx-cache-');

/** The agent's side of the channel, in this process: each call as agent.ts serves it, counting the content bytes that came. */
function channel(cache: ContextCache): { call<T>(method: string, args: unknown[]): Promise<T>; received: number } {
  const ch = {
    received: 0,
    async call<T>(method: string, args: unknown[]): Promise<T> {
      if (method === 'contextMissing') return (await cache.missing(args[0] as string[])) as T;
      if (method === 'contextPut') {
        for (const p of args[0] as BlobPiece[]) ch.received += Buffer.from(p.data, 'base64').length;
        cache.put(args[0] as BlobPiece[]);
        return null as T;
      }
      throw new Error(`no method ${method}`);
    },
  };
  return ch;
}

/** What the CLI sends for `context` (sendListing), with the line it says; the clock is 10 s ahead so fresh files count as settled. */
async function send(cache: ContextCache, context: string, o: { key?: string; digestsRoot?: string } = {}): Promise<{ sent: SentContext; said: string; received: number }> {
  const ch = channel(cache);
  let said = '';
  const sent = await sendListing(await contextEntries(context, 'Dockerfile'), context, { key: o.key ?? 'p/app', digestsRoot: o.digestsRoot ?? (await tmp()), call: (m, a) => ch.call(m, a), say: (l) => (said = l), now: () => Date.now() + 10_000 });
  return { sent, said, received: ch.received };
}

async function sampleContext(): Promise<string> {
  const context = await tmp();
  fs.mkdirSync(path.join(context, 'sub'));
  fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM host\n');
  fs.writeFileSync(path.join(context, 'sub/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(context, 'secret'), 'no\n');
  fs.writeFileSync(path.join(context, 'empty'), '');
  fs.writeFileSync(path.join(context, '.dockerignore'), 'secret\n');
  fs.symlinkSync('sub/run.sh', path.join(context, 'link'));
  return context;
}

/** The entries of the tar the Docker runtime would send, as a manifest would name them. */
async function tarManifest(context: string): Promise<ManifestEntry[]> {
  const { tar: stream } = await buildContext(context, 'Dockerfile');
  const entries: ManifestEntry[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, body, next) => {
    let size = 0;
    body.on('data', (c: unknown) => (size += (c as Buffer).length));
    body.on('end', () => {
      entries.push({ name: h.name, type: h.type as ManifestEntry['type'], mode: h.mode!, mtime: h.mtime!.getTime(), ...(h.type === 'file' ? { size } : {}), ...(h.type === 'symlink' ? { linkname: h.linkname! } : {}) });
      next();
    });
  });
  await new Promise((resolve, reject) => {
    extract.on('finish', () => resolve(undefined));
    extract.on('error', reject);
    stream.pipe(extract);
  });
  return entries;
}

describe('the remote context cache', () => {
  it('sends only missing files, puts the context back together (.dockerignore applied, modes, links, an empty file) and keeps only the last context of a key', async () => {
    const context = await sampleContext();
    const root = await tmp();
    const cache = new ContextCache(root);
    const digestsRoot = await tmp();

    const first = await send(cache, context, { digestsRoot });
    expect(first.said).toBe('context: 4 files, 4 read here (27 B), 4 sent (27 B)'); // Dockerfile, run.sh, .dockerignore, empty
    const out = await tmp();
    await applyLayer(cache.tarOf(first.sent.entries), out);
    await cache.remember(first.sent);
    expect(fs.readdirSync(out).sort()).toEqual(['.dockerignore', 'Dockerfile', 'empty', 'link', 'sub']);
    expect(fs.statSync(path.join(out, 'sub/run.sh')).mode & 0o777).toBe(0o755);
    expect(fs.readFileSync(path.join(out, 'empty'), 'utf8')).toBe('');
    expect(fs.readlinkSync(path.join(out, 'link'))).toBe('sub/run.sh');
    // What the manifest names is what the Docker runtime's tar of the context holds, header for header.
    expect(first.sent.entries.map(({ hash: _h, ...e }) => e)).toEqual(await tarManifest(context));

    // Nothing changed: no file read here again, none sent.
    const again = await send(cache, context, { digestsRoot });
    expect(again.said).toBe('context: 4 files, 0 read here (0 B), 0 sent (0 B)');
    expect(again.received).toBe(0);
    expect(again.sent.entries).toEqual(first.sent.entries);
    await cache.remember(again.sent);

    fs.writeFileSync(path.join(context, 'sub/run.sh'), '#!/bin/sh\necho changed\n');
    const changed = await send(cache, context, { digestsRoot });
    expect(changed.said).toBe('context: 4 files, 1 read here (23 B), 1 sent (23 B)');
    const out2 = await tmp();
    await applyLayer(cache.tarOf(changed.sent.entries), out2);
    await cache.remember(changed.sent);
    expect(fs.readFileSync(path.join(out2, 'sub/run.sh'), 'utf8')).toContain('changed');
    // The old run.sh is no key's last context any more: gone from the cache.
    expect(fs.readdirSync(path.join(root, 'build-contexts/blobs')).length).toBe(4);
    const other = await send(cache, context, { key: 'p/other' });
    expect(other.received).toBe(0);
    await cache.release(other.sent.lease);
    expect(fs.readdirSync(path.join(root, 'build-contexts/leases'))).toEqual([]);
  });

  it('a build on the same host at once (another agent) does not drop the files a build was told are there', async () => {
    const root = await tmp();
    const a = new ContextCache(root);
    const b = new ContextCache(root);
    const ctxA = await sampleContext();
    const ctxB = await tmp();
    fs.writeFileSync(path.join(ctxB, 'Dockerfile'), 'FROM host\nRUN true\n');
    // A's files are here from an earlier build of another key, which B's build then replaces.
    const earlier = await send(a, ctxA, { key: 'p/b' });
    await a.remember(earlier.sent);
    const first = await send(a, ctxA, { key: 'p/a' }); // told everything is here: sends nothing
    expect(first.received).toBe(0);
    const other = await send(b, ctxB, { key: 'p/b' });
    await b.remember(other.sent); // p/b's last context no longer names A's files; only A's lease keeps them
    const out = await tmp();
    await applyLayer(a.tarOf(first.sent.entries), out);
    expect(fs.readFileSync(path.join(out, 'sub/run.sh'), 'utf8')).toBe('#!/bin/sh\n');
    await a.remember(first.sent);
  });

  it('a lease whose agent is gone (connection dropped) keeps nothing, nor does an agent that ended', async () => {
    const root = await tmp();
    const cache = new ContextCache(root);
    const ctx = await sampleContext();
    const held = await send(cache, ctx, { key: 'p/gone' });
    cache.releaseAll(); // the agent's connection ended before the build
    expect(fs.readdirSync(path.join(root, 'build-contexts/leases'))).toEqual([]);
    // A lease of a process that no longer runs (pid 2^22 is past pid_max's default).
    fs.writeFileSync(path.join(root, 'build-contexts/leases', '4194304-1-0.json'), JSON.stringify({ hashes: held.sent.entries.flatMap((e) => (e.hash ? [e.hash] : [])) }));
    const other = await tmp();
    fs.writeFileSync(path.join(other, 'Dockerfile'), 'FROM host\n');
    const next = await send(cache, other, { key: 'p/next' });
    await cache.remember(next.sent);
    expect(fs.readdirSync(path.join(root, 'build-contexts/leases'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'build-contexts/blobs'))).toEqual(next.sent.entries.flatMap((e) => (e.hash ? [e.hash] : [])));
  });

  it('refuses a file that does not have its name, a name that is not a hash, and a file changed while it was sent', async () => {
    const cache = new ContextCache((await tmp()));
    expect(() => cache.put([{ hash: '0'.repeat(64), data: Buffer.from('x').toString('base64'), final: true }])).toThrow(/does not have that hash/);
    await expect(cache.missing(['../../etc/passwd'])).rejects.toThrow(/not a sha256/);
    const context = await tmp();
    fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM host\n');
    const { sources } = await manifestOf(await contextEntries(context, 'Dockerfile'), ContextDigests.load((await tmp()), context));
    fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\n');
    await expect(uploadFiles([...sources.keys()], sources, async () => {})).rejects.toThrow(/context file Dockerfile changed while it was being sent/);
  });

  it('sends a big file in pieces of at most 1 MiB, one call at a time', async () => {
    const context = await tmp();
    fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM host\n');
    fs.writeFileSync(path.join(context, 'big'), Buffer.alloc(3 * 1024 * 1024 + 5, 7));
    const cache = new ContextCache((await tmp()));
    const { sources } = await manifestOf(await contextEntries(context, 'Dockerfile'), ContextDigests.load((await tmp()), context));
    const { missing } = await cache.missing([...sources.keys()]);
    const calls: number[] = [];
    let inFlight = 0;
    const stats = await uploadFiles(missing, sources, async (pieces) => {
      expect(++inFlight).toBe(1);
      calls.push(pieces.reduce((n, p) => n + Buffer.from(p.data, 'base64').length, 0));
      cache.put(pieces);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    });
    expect(stats).toEqual({ files: 2, bytes: 3 * 1024 * 1024 + 5 + 10 });
    expect(Math.max(...calls)).toBeLessThanOrEqual(1024 * 1024 + 10);
    expect((await cache.missing([...sources.keys()])).missing).toEqual([]);
  });
});
