import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { snapshotTree } from '../../../testing/tree-snapshot.js';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { sha256 } from '../layers/index.js';
import { MediaType, openStore, type Store } from '../store/index.js';
import { dockerOciMembers, gzip, imageConfig, legacyMembers, tarOf, zstd, type ImageParts, type Member } from './fixtures/archives.js';
import { makeTestImage, treeSnapshot, type TestImage } from './fixtures/test-image.js';
import { importDockerArchive } from './import-docker-archive.js';

describe.skipIf(unmet(requireRoot(), requireCommand('zstd')))('importing docker save archives', () => {
  let fixtures: string;
  let img: TestImage;
  let base: string;
  let store: Store;
  beforeAll(async () => {
    fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-image-io-'));
    img = await makeTestImage(fixtures);
  });
  afterAll(() => fs.rmSync(fixtures, { recursive: true, force: true }));
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-import-'));
    store = openStore(path.join(base, 'store'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const parts = (over: Partial<ImageParts> = {}): ImageParts => ({ config: img.config, layers: img.tars, repoTags: ['hafen-test/app:v1'], ...over });
  async function archive(members: Member[], name = 'image.tar'): Promise<string> {
    const file = path.join(base, name);
    fs.writeFileSync(file, await tarOf(members));
    return file;
  }
  /** The store's state that an import may change. */
  const storeState = () => ({ blobs: store.blobs.list().sort(), layers: store.layers.list().map((l) => l.chainId).sort(), tags: store.images.list().map((r) => r.name), tmp: fs.readdirSync(store.paths.tmp) });
  const expectFilesOf = (layerDirs: string[]) => expect(layerDirs.map((d) => treeSnapshot(d))).toEqual(img.trees.map((d) => treeSnapshot(d)));

  it('has test layers with a big file, a whiteout and an opaque folder', () => {
    const top = treeSnapshot(img.trees[1]!);
    expect(top['data/old.txt']).toMatchObject({ type: 'char', rdev: '0' });
    expect(top['cache']?.xattrs).toEqual({ 'trusted.overlay.opaque': Buffer.from('y').toString('hex') });
    expect(treeSnapshot(img.trees[0]!)['bin/tool']?.size).toBeGreaterThan(1 << 20);
  });

  it('imports a legacy archive (skopeo shape, layer.tar symlinked) with its tags and byte-identical files; a second import stores nothing new', async () => {
    const file = await archive(legacyMembers(parts({ repoTags: ['docker.io/hafen-test/app:v1', 'hafen-test/app:latest'] })));
    const [image, ...more] = await importDockerArchive(store, file);
    expect(more).toEqual([]);
    expect(image!.name).toBe('hafen-test/app:v1');
    expect(image!.manifest.config.digest).toBe(sha256(img.config)); // the image id, as Docker computes it
    expect(store.blobs.readBytes(image!.manifest.config.digest).equals(img.config)).toBe(true);
    expect(store.images.list().map((r) => r.name)).toEqual(['hafen-test/app:latest', 'hafen-test/app:v1']);
    expect(store.images.get('hafen-test/app:v1')?.manifestDigest).toBe(image!.manifestDigest);
    expect(image!.config.rootfs.diff_ids).toEqual(img.diffIds);
    expectFilesOf(image!.layerDirs);

    const before = storeState();
    const [again] = await importDockerArchive(store, file);
    expect(again!.manifestDigest).toBe(image!.manifestDigest);
    expect(storeState()).toEqual(before);
  });

  it('imports a Docker 25 archive by manifest.json, or by index.json without it, with gzip and zstd layers', async () => {
    const layers = [gzip(img.tars[0]!), zstd(img.tars[1]!)];
    const types = [MediaType.layerGzip, MediaType.layerZstd];
    const withManifest = await archive(dockerOciMembers(parts({ layers }), { manifestJson: true, layerType: (i) => types[i]! }), 'a.tar');
    const [a] = await importDockerArchive(store, withManifest);
    expect(a!.name).toBe('hafen-test/app:v1');
    expect(a!.manifest.layers.map((l) => l.mediaType)).toEqual(types);
    expectFilesOf(a!.layerDirs);

    const fresh = openStore(path.join(base, 'store2'));
    const indexOnly = await archive(dockerOciMembers(parts({ layers, repoTags: ['hafen-test/app:v2'] }), { manifestJson: false, layerType: (i) => types[i]! }), 'b.tar');
    const [b] = await importDockerArchive(fresh, indexOnly, { tag: 'extra:name' });
    expect(fresh.images.list().map((r) => r.name)).toEqual(['extra:name', 'hafen-test/app:v2']);
    expect(b!.manifest.config.digest).toBe(a!.manifest.config.digest);
    expectFilesOf(b!.layerDirs);
  });

  it('reads an archive compressed as a whole, members in any order', async () => {
    const members = legacyMembers(parts()).reverse();
    const file = path.join(base, 'image.tar.gz');
    fs.writeFileSync(file, gzip(await tarOf(members)));
    const [image] = await importDockerArchive(store, file);
    expectFilesOf(image!.layerDirs);
  });

  it('refuses a layer whose DiffID is not the config\'s, unpacking and tagging nothing', async () => {
    const tampered = Buffer.from(img.tars[1]!);
    tampered.write('ID=hafen-evil', tampered.indexOf('ID=hafen-test\nVERSION=2'));
    const file = await archive(legacyMembers(parts({ layers: [img.tars[0]!, tampered] })));
    await expect(importDockerArchive(store, file)).rejects.toThrow(/layer 2 .*DiffID .* but the image config says/);
    expect(store.images.list()).toEqual([]);
    expect(store.layers.list()).toEqual([]); // checked before anything was unpacked

    // A compressed layer is checked as it unpacks: refused all the same, and nothing is tagged.
    const gz = await archive(dockerOciMembers(parts({ layers: [gzip(img.tars[0]!), gzip(tampered)] }), { manifestJson: true }), 'gz.tar');
    await expect(importDockerArchive(store, gz)).rejects.toThrow(/layer 2 .*DiffID/);
    expect(store.images.list()).toEqual([]);
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
  });

  it('refuses a config whose digest is not its blob name, and a config listing another number of layers', async () => {
    const members = dockerOciMembers(parts(), { manifestJson: true }).map((m) =>
      'data' in m && m.name === `blobs/sha256/${sha256(img.config).slice(7)}` ? { ...m, data: imageConfig(img.diffIds, ['/evil']) } : m);
    await expect(importDockerArchive(store, await archive(members, 'a.tar'))).rejects.toThrow(/does not match its digest/);
    const short = await archive(legacyMembers(parts({ config: imageConfig(img.diffIds.slice(0, 1)) })), 'b.tar');
    await expect(importDockerArchive(store, short)).rejects.toThrow(/lists 1 layers, the manifest 2/);
    expect(store.images.list()).toEqual([]);
  });

  it('refuses a layer.tar symlink that points outside the archive', async () => {
    const hostile = legacyMembers(parts()).map((m) => ('symlink' in m && m.name.endsWith('layer.tar') ? { ...m, symlink: '../../etc/passwd' } : m));
    await expect(importDockerArchive(store, await archive(hostile, 'a.tar'))).rejects.toThrow(/symlink .*layer\.tar.* -> "\.\.\/\.\.\/etc\/passwd" points outside the archive/);
    const absolute = legacyMembers(parts()).map((m) => ('symlink' in m && m.name.endsWith('layer.tar') ? { ...m, symlink: '/etc/passwd' } : m));
    await expect(importDockerArchive(store, await archive(absolute, 'b.tar'))).rejects.toThrow(/points outside the archive/);
    // A symlink to a folder, or to a member that is not there, is no layer either.
    const dangling = legacyMembers(parts()).map((m) => ('symlink' in m && m.name.endsWith('layer.tar') ? { ...m, symlink: '../missing.tar' } : m));
    await expect(importDockerArchive(store, await archive(dangling, 'c.tar'))).rejects.toThrow(/layer\.tar" is not in the archive/);
    expect(store.images.list()).toEqual([]);
  });

  it('refuses member paths that leave the archive, and writes nothing outside', async () => {
    const outside = snapshotTree(base, { exclude: ['store'] });
    for (const name of ['../x', 'a/../../x', '/x']) {
      const file = await archive([...legacyMembers(parts()), { name, data: 'escaped' }], 'evil.tar');
      await expect(importDockerArchive(store, file)).rejects.toThrow(/points outside the archive|absolute path/);
      fs.rmSync(file);
    }
    // manifest.json naming files outside the archive finds nothing there either.
    for (const layer of ['../../etc/passwd', '/etc/passwd']) {
      const members = legacyMembers(parts()).map((m) => (m.name === 'manifest.json' && 'data' in m ? { ...m, data: String(m.data).replace(/"[0-9a-f]{64}\/layer\.tar"\]/, `"${layer}"]`) } : m));
      const file = await archive(members, 'evil.tar');
      await expect(importDockerArchive(store, file)).rejects.toThrow(/points outside the archive|absolute path/);
      fs.rmSync(file);
    }
    expect(snapshotTree(base, { exclude: ['store'] })).toEqual(outside);
    expect(fs.existsSync(path.join(os.tmpdir(), 'x'))).toBe(false);
    expect(fs.existsSync('/x')).toBe(false);
    expect(store.images.list()).toEqual([]);
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
    expect(fs.readdirSync(store.paths.blobs).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('picks one image of a multi-image archive by RepoTag or @N', async () => {
    const other = imageConfig(img.diffIds.slice(0, 1), ['/other']);
    const entries = [
      { Config: `${sha256(img.config).slice(7)}.json`, RepoTags: ['app:two'], Layers: img.diffIds.map((d) => `${d.slice(7)}.tar`) },
      { Config: `${sha256(other).slice(7)}.json`, RepoTags: ['app:one'], Layers: [`${img.diffIds[0]!.slice(7)}.tar`] },
    ];
    const file = await archive([
      { name: 'manifest.json', data: JSON.stringify(entries) },
      { name: `${sha256(img.config).slice(7)}.json`, data: img.config },
      { name: `${sha256(other).slice(7)}.json`, data: other },
      ...img.tars.map((t, i): Member => ({ name: `${img.diffIds[i]!.slice(7)}.tar`, data: t })),
    ]);
    await expect(importDockerArchive(store, file, { tag: 'x' })).rejects.toThrow(/holds 2 images; pick one/);
    const [one] = await importDockerArchive(store, file, { ref: 'app:one' });
    expect(one!.chainIds).toHaveLength(1);
    expect(store.images.list().map((r) => r.name)).toEqual(['app:one']);
    const [second] = await importDockerArchive(store, file, { ref: '@0', tag: 'picked' });
    expect(second!.config.config.Cmd).toEqual(['/bin/tool']);
    expect(store.images.list().map((r) => r.name)).toEqual(['app:one', 'app:two', 'picked:latest']);
    await expect(importDockerArchive(store, file, { ref: 'app:three' })).rejects.toThrow(/no image tagged app:three \(it has: app:two, app:one\)/);
  });

  it('says what is wrong with files that are not docker save archives', async () => {
    await expect(importDockerArchive(store, path.join(base, 'missing.tar'))).rejects.toThrow(/cannot read it/);
    fs.writeFileSync(path.join(base, 'text.tar'), 'just some text, long enough to fill a header block'.repeat(20));
    await expect(importDockerArchive(store, path.join(base, 'text.tar'))).rejects.toThrow(/not a readable tar archive/);
    await expect(importDockerArchive(store, await archive([{ name: 'hello', data: 'hi' }]))).rejects.toThrow(/neither manifest\.json nor index\.json/);
  });
});
