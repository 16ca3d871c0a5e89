import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { sha256, type Digest } from '../layers/index.js';
import { hostArchitecture, MediaType, openStore, prune, stepKey, type ImageConfig, type Store } from './index.js';

/** A layer tar holding the given files. */
async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644, mtime: new Date(1_700_000_000_000) }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Stores a layer blob and unpacks it on `parent`; returns its record. */
async function addLayer(store: Store, parent: Digest | null, files: Record<string, string>) {
  const tar = await layerTar(files);
  const blob = await store.blobs.put(Readable.from([tar]));
  return store.layers.unpack(parent, blob.digest, () => store.blobs.open(blob.digest));
}

function configFor(diffIds: Digest[]): ImageConfig {
  return { architecture: hostArchitecture(), os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } };
}

describe.skipIf(unmet(requireRoot()))('image store', () => {
  let root: string;
  let store: Store;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-store-'));
    store = openStore(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keeps its root private (0700)', () => {
    expect(fs.statSync(root).mode & 0o777).toBe(0o700);
  });

  it('stores a blob under its sha256 and refuses one whose digest differs, keeping nothing', async () => {
    const ref = await store.blobs.put(Readable.from([Buffer.from('hello')]));
    expect(ref).toEqual({ digest: sha256('hello'), size: 5 });
    expect(fs.readFileSync(store.blobs.path(ref.digest), 'utf8')).toBe('hello');
    await expect(store.blobs.put(Readable.from([Buffer.from('tampered')]), sha256('original'))).rejects.toThrow(/digest mismatch/);
    expect(store.blobs.list()).toEqual([ref.digest]);
    expect(fs.readdirSync(store.paths.blobs).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('streams a blob opened before another unpack replaced it by its skeleton, and one opened after', async () => {
    const tar = await layerTar({ 'etc/os': 'base\n' });
    const blob = await store.blobs.put(Readable.from([tar]));
    const layer = await store.layers.unpack(null, blob.digest, () => store.blobs.open(blob.digest));
    expect(fs.existsSync(store.blobs.path(blob.digest))).toBe(false);
    // The tar stored again (as a second ensureHostImage does), opened, and replaced at once by the skeleton the first unpack made.
    await store.blobs.put(Readable.from([tar]));
    const early = store.blobs.open(blob.digest);
    store.blobs.skeletons!.replace(store.blobs.path(blob.digest), blob.digest, layer.chainId);
    expect(fs.existsSync(store.blobs.path(blob.digest))).toBe(false);
    const read = async (r: Readable) => Buffer.concat(await r.toArray());
    expect((await read(early)).equals(tar)).toBe(true);
    expect((await read(store.blobs.open(blob.digest))).equals(tar)).toBe(true);
  });

  it('unpacks a layer once, by ChainID, and stacks a child on it', async () => {
    const base = await addLayer(store, null, { 'etc/os': 'base\n' });
    const again = await addLayer(store, null, { 'etc/os': 'base\n' });
    expect(again.chainId).toBe(base.chainId);
    expect(store.layers.list()).toHaveLength(1);
    const child = await addLayer(store, base.chainId, { 'app/x': 'x' });
    expect(child.parent).toBe(base.chainId);
    expect(fs.readFileSync(path.join(store.layers.diffDir(base.chainId), 'etc/os'), 'utf8')).toBe('base\n');
    expect(fs.readFileSync(path.join(store.layers.diffDir(child.chainId), 'app/x'), 'utf8')).toBe('x');
  });

  it('refuses a layer whose DiffID is not the one the image config names, keeping no layer', async () => {
    const tar = await layerTar({ a: 'a' });
    const blob = await store.blobs.put(Readable.from([tar]));
    await expect(store.layers.unpack(null, blob.digest, () => store.blobs.open(blob.digest), sha256('other'))).rejects.toThrow(/DiffID/);
    expect(store.layers.list()).toEqual([]);
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
  });

  it('tags images, and prune keeps what tags reach while shared layers stay once', async () => {
    const base = await addLayer(store, null, { 'bin/tool': 'tool' });
    const app1 = await addLayer(store, base.chainId, { 'app/one': '1' });
    const app2 = await addLayer(store, base.chainId, { 'app/two': '2' });
    const desc = (l: { blob: Digest; size: number }) => ({ mediaType: MediaType.layer, digest: l.blob, size: l.size });
    store.images.put(configFor([base.diffId, app1.diffId]), [desc(base), desc(app1)], 'one');
    const two = store.images.put(configFor([base.diffId, app2.diffId]), [desc(base), desc(app2)], 'two:v2');
    expect(store.images.list().map((r) => r.name)).toEqual(['one:latest', 'two:v2']);
    expect(store.images.get('two:v2')?.layerDirs).toEqual([store.layers.diffDir(base.chainId), store.layers.diffDir(app2.chainId)]);
    expect(store.layers.list()).toHaveLength(3); // the base once

    expect(store.images.untag('one')).toBe(true);
    fs.mkdirSync(path.join(store.paths.tmp, 'layer-interrupted'));
    const result = prune(store);
    expect(result.layers).toBe(1);
    expect(store.layers.has(app1.chainId)).toBe(false);
    expect(store.layers.has(base.chainId)).toBe(true);
    expect(store.images.get('two:v2')?.manifestDigest).toBe(two.manifestDigest);
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
  });

  it('reads and prunes around an image whose config is all nulls (no layers, no config, no history), keeping it', () => {
    const raw = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: null, rootfs: { type: 'layers', diff_ids: null }, history: null }));
    store.images.put(raw, [], 'nulls:1');
    expect(store.images.get('nulls:1')!.config).toMatchObject({ config: {}, rootfs: { diff_ids: [] } });
    prune(store);
    expect(store.images.get('nulls:1')!.manifest.config.digest).toBe(sha256(raw));
  });

  it('keeps what the build cache reaches unless the cache is pruned too', async () => {
    const layer = await addLayer(store, null, { f: 'f' });
    const key = stepKey(null, 'COPY f /f', 'sum');
    store.cache.put({ key, config: configFor([layer.diffId]), layer: { blob: layer.blob, size: layer.size }, created: new Date().toISOString() });
    expect(prune(store).layers).toBe(0);
    expect(store.cache.get(key)?.layer?.blob).toBe(layer.blob);
    const all = prune(store, { buildCache: true });
    expect(all).toMatchObject({ layers: 1, cacheEntries: 1 });
    expect(store.blobs.list()).toEqual([]);
  });

  it('chains step keys so a changed step changes every key after it', () => {
    const a = stepKey(null, 'FROM host');
    const b = stepKey(a, 'RUN make');
    const a2 = stepKey(null, 'FROM scratch');
    expect(stepKey(a2, 'RUN make')).not.toBe(b);
    expect(stepKey(a, 'RUN make')).toBe(b);
  });
});
