import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { sha256 } from '../layers/index.js';
import { hostArchitecture, MediaType, openStore, type Store } from '../store/index.js';
import { gzip, ociDocuments, writeLayoutBlobs } from './fixtures/archives.js';
import { makeTestImage, treeSnapshot, type TestImage } from './fixtures/test-image.js';
import { importOciLayout } from './import-oci-layout.js';

const otherArch = hostArchitecture() === 'amd64' ? 'arm64' : 'amd64';

describe.skipIf(unmet(requireRoot()))('importing OCI image layouts', () => {
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
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-oci-'));
    store = openStore(path.join(base, 'store'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  /**
   * A multi-platform layout as buildx or Docker 29 write it: index.json names a nested index that
   * lists this host's image, another platform whose blobs were not saved, and an attestation.
   */
  function layout(dir = path.join(base, 'layout'), refName = 'hafen-test/oci:v2'): string {
    const layers = [gzip(img.tars[0]!), img.tars[1]!];
    const { manifest } = ociDocuments({ config: img.config, layers, repoTags: [] }, (i) => (i === 0 ? MediaType.layerGzip : MediaType.layer));
    const attestation = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.manifest, config: { mediaType: 'application/vnd.in-toto+json', digest: sha256('{}'), size: 2 }, layers: [] }));
    const inner = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.index,
      manifests: [
        { mediaType: MediaType.manifest, digest: sha256('not saved'), size: 9, platform: { os: 'linux', architecture: otherArch } },
        { mediaType: MediaType.manifest, digest: sha256(manifest), size: manifest.length, platform: { os: 'linux', architecture: hostArchitecture() } },
        { mediaType: MediaType.manifest, digest: sha256(attestation), size: attestation.length, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
      ],
    }));
    writeLayoutBlobs(dir, [...layers, img.config, manifest, attestation, inner]);
    const index = { schemaVersion: 2, manifests: [{ mediaType: MediaType.index, digest: sha256(inner), size: inner.length, annotations: { 'org.opencontainers.image.ref.name': refName } }] };
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
    return dir;
  }
  const blobPath = (dir: string, data: Buffer) => path.join(dir, 'blobs/sha256', sha256(data).slice(7));

  it('imports this platform\'s image through a nested index, named by its ref name, files byte-identical; again stores nothing new', async () => {
    const dir = layout();
    const [image, ...more] = await importOciLayout(store, dir);
    expect(more).toEqual([]);
    expect(image!.name).toBe('hafen-test/oci:v2');
    expect(image!.manifest.config.digest).toBe(sha256(img.config));
    expect(image!.layerDirs.map((d) => treeSnapshot(d))).toEqual(img.trees.map((d) => treeSnapshot(d)));
    const state = () => ({ blobs: store.blobs.list().sort(), layers: store.layers.list().length, tags: store.images.list().map((r) => r.name) });
    const before = state();
    await importOciLayout(store, dir, { ref: 'hafen-test/oci:v2' });
    expect(state()).toEqual(before);
  });

  it('takes a bare ref name as a selector only, and tags with the name given', async () => {
    const dir = layout(path.join(base, 'layout'), 'latest');
    await expect(importOciLayout(store, dir, { ref: 'v9' })).rejects.toThrow(/no image named "v9" in index\.json \(it has: latest\)/);
    const [image] = await importOciLayout(store, dir, { ref: 'latest', tag: 'mine:1' });
    expect(image!.name).toBe('mine:1');
    expect(store.images.list().map((r) => r.name)).toEqual(['mine:1']);
  });

  it('refuses a blob whose bytes do not match its digest, and tags nothing', async () => {
    const dir = layout();
    const file = blobPath(dir, img.tars[1]!);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 2048] = 0x41;
    fs.writeFileSync(file, bytes);
    await expect(importOciLayout(store, dir)).rejects.toThrow(/blob sha256:[0-9a-f]{64}: .*digest mismatch/);
    expect(store.images.list()).toEqual([]);
  });

  it('reads blobs only as regular files, never through a symlink', async () => {
    const dir = layout();
    const file = blobPath(dir, img.tars[1]!);
    fs.renameSync(file, path.join(base, 'elsewhere'));
    fs.symlinkSync(path.join(base, 'elsewhere'), file);
    await expect(importOciLayout(store, dir)).rejects.toThrow(/is a symlink/);
    expect(store.images.list()).toEqual([]);
  });

  it('refuses other layout versions, other platforms and folders that are no layout', async () => {
    const dir = layout();
    fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expect(importOciLayout(store, dir)).rejects.toThrow(/unsupported OCI image layout version "2\.0\.0"/);

    const other = layout(path.join(base, 'other'));
    const index = JSON.parse(fs.readFileSync(path.join(other, 'index.json'), 'utf8'));
    index.manifests[0].platform = { os: 'linux', architecture: otherArch };
    fs.writeFileSync(path.join(other, 'index.json'), JSON.stringify(index));
    await expect(importOciLayout(store, other)).rejects.toThrow(new RegExp(`no linux/${hostArchitecture()} image \\(it has: linux/${otherArch}\\)`));

    await expect(importOciLayout(store, base)).rejects.toThrow(/not an OCI image layout/);
    expect(store.images.list()).toEqual([]);
  });
});
