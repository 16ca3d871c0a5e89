import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readTarEntries } from '../../../testing/layer-tar.js';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { HOST_BASE_LABEL, HOST_BASE_VALUE } from '../builder/host-image.js';
import { sha256 } from '../layers/index.js';
import { hostArchitecture, MediaType, openStore, type Store } from '../store/index.js';
import { saveDockerArchive } from './export-docker-archive.js';
import { saveOciLayout } from './export-oci-layout.js';
import { dockerOciMembers, gzip, tarOf } from './fixtures/archives.js';
import { makeTestImage, treeSnapshot, type TestImage } from './fixtures/test-image.js';
import { importDockerArchive } from './import-docker-archive.js';
import { importOciLayout } from './import-oci-layout.js';

describe.skipIf(unmet(requireRoot()))('saving images', () => {
  let fixtures: string;
  let img: TestImage;
  let base: string;
  let store: Store;
  beforeAll(async () => {
    fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-image-io-'));
    img = await makeTestImage(fixtures);
  });
  afterAll(() => fs.rmSync(fixtures, { recursive: true, force: true }));
  beforeEach(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-save-'));
    store = openStore(path.join(base, 'store'));
    // Stored as a Docker 25+ archive with a gzip base layer brings it: saving must decompress it.
    const file = path.join(base, 'source.tar');
    const parts = { config: img.config, layers: [gzip(img.tars[0]!), img.tars[1]!], repoTags: ['hafen-test/app:v1'] };
    fs.writeFileSync(file, await tarOf(dockerOciMembers(parts, { manifestJson: true, layerType: (i) => (i ? MediaType.layer : MediaType.layerGzip) })));
    await importDockerArchive(store, file);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('writes a legacy docker-archive that docker load reads: uncompressed layers with their DiffIDs, config as is, tags', async () => {
    const out = path.join(base, 'saved.tar');
    const saved = await saveDockerArchive(store, 'hafen-test/app:v1', out);
    expect(saved).toEqual({ file: out, imageId: sha256(img.config), repoTags: ['hafen-test/app:v1'] });
    const entries = new Map((await readTarEntries(fs.createReadStream(out))).map((e) => [e.header.name, e]));
    const manifest = JSON.parse(entries.get('manifest.json')!.body.toString());
    expect(manifest).toEqual([{ Config: `${sha256(img.config).slice(7)}.json`, RepoTags: ['hafen-test/app:v1'], Layers: [expect.stringMatching(/^[0-9a-f]{64}\/layer\.tar$/), expect.stringMatching(/^[0-9a-f]{64}\/layer\.tar$/)] }]);
    expect(entries.get(manifest[0].Config)!.body.equals(img.config)).toBe(true);
    expect(manifest[0].Layers.map((l: string) => sha256(entries.get(l)!.body))).toEqual(img.diffIds);
    const top = path.posix.dirname(manifest[0].Layers[1]);
    expect(JSON.parse(entries.get('repositories')!.body.toString())).toEqual({ 'hafen-test/app': { v1: top } });
    expect(fs.readdirSync(base).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('round-trips: import, save, import again gives the same image id and identical files', async () => {
    const out = path.join(base, 'saved.tar');
    await saveDockerArchive(store, 'hafen-test/app:v1', out);
    const other = openStore(path.join(base, 'other'));
    const [again] = await importDockerArchive(other, out);
    expect(again!.name).toBe('hafen-test/app:v1');
    expect(again!.manifest.config.digest).toBe(store.images.get('hafen-test/app:v1')!.manifest.config.digest);
    expect(again!.layerDirs.map((d) => treeSnapshot(d))).toEqual(img.trees.map((d) => treeSnapshot(d)));
  });

  it('writes an OCI layout that imports as the same image, and adds to an existing one', async () => {
    const dir = path.join(base, 'layout');
    const digest = saveOciLayout(store, 'hafen-test/app:v1', dir);
    expect(digest).toBe(store.images.resolve('hafen-test/app:v1'));
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([{
      mediaType: MediaType.manifest, digest, size: expect.any(Number), platform: { architecture: hostArchitecture(), os: 'linux' },
      annotations: { 'org.opencontainers.image.ref.name': 'v1', 'io.containerd.image.name': 'docker.io/hafen-test/app:v1' },
    }]);
    store.images.tag('hafen-test/app:v2', digest);
    saveOciLayout(store, 'hafen-test/app:v2', dir);
    const other = openStore(path.join(base, 'other'));
    const images = await importOciLayout(other, dir);
    expect(images.map((i) => i.manifestDigest)).toEqual([digest]);
    expect(other.images.list().map((r) => r.name)).toEqual(['hafen-test/app:v1', 'hafen-test/app:v2']);
    expect(images[0]!.layerDirs.map((d) => treeSnapshot(d))).toEqual(img.trees.map((d) => treeSnapshot(d)));
    expect(() => saveOciLayout(store, 'hafen-test/app:v1', path.join(base, 'store'))).toThrow(/not an OCI image layout/);
  });

  it('leaves an existing file as it was when a save fails, and refuses what cannot be saved', async () => {
    const out = path.join(base, 'saved.tar');
    fs.writeFileSync(out, 'previous');
    // The uncompressed top layer is kept once, as its unpacked files (plus a skeleton of its tar): damage one.
    const stored = store.images.get('hafen-test/app:v1')!;
    expect(fs.existsSync(store.blobs.path(stored.manifest.layers[1]!.digest))).toBe(false);
    const damaged = fs
      .readdirSync(stored.layerDirs[1]!, { recursive: true, withFileTypes: true })
      .map((e) => path.join(e.parentPath, e.name))
      .find((f) => fs.lstatSync(f).isFile() && fs.readFileSync(f).includes('VERSION=2'))!;
    const data = fs.readFileSync(damaged);
    data[data.indexOf('VERSION=2')] = 0x76;
    fs.writeFileSync(damaged, data);
    await expect(saveDockerArchive(store, 'hafen-test/app:v1', out)).rejects.toThrow(/not its DiffID .*the store is damaged/);
    expect(fs.readFileSync(out, 'utf8')).toBe('previous');
    expect(fs.readdirSync(base).filter((n) => n.startsWith('.tmp'))).toEqual([]);

    await expect(saveDockerArchive(store, 'nope', out)).rejects.toThrow(/image nope: no such image/);
    const config = { architecture: hostArchitecture(), os: 'linux', config: { Labels: { [HOST_BASE_LABEL]: HOST_BASE_VALUE } }, rootfs: { type: 'layers' as const, diff_ids: [] } };
    store.images.put(config, [], 'on-host');
    await expect(saveDockerArchive(store, 'on-host', out)).rejects.toThrow(/stands on the host's directories/);
  });
});
