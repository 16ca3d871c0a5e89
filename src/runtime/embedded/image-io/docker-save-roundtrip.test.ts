/**
 * One stored copy of each layer, checked against the real dockerd: an image `docker build` made is
 * `docker save`d, imported (its uncompressed layer tars are then kept only as skeletons over the
 * unpacked files), saved again by hafen with every layer.tar byte for byte Docker's, and
 * `docker load`ed back with the same DiffIDs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet, type Requirement } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from '../launcher/busybox-rootfs.js';
import { sha256 } from '../layers/index.js';
import { openStore } from '../store/index.js';
import { saveDockerArchive } from './export-docker-archive.js';
import { importDockerArchive } from './import-docker-archive.js';

/** A Docker engine answers. */
const requireDockerd: Requirement = {
  name: 'dockerd',
  check: () => (spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 10_000 }).status === 0 ? undefined : 'no Docker engine answers'),
};

// Bounded: a stuck engine fails this test in minutes, not a quarter of an hour of a blocked worker.
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 << 20, timeout: 180_000 });

/** sha256 of each layer.tar of a docker-archive, in manifest order. */
function layerDigests(archive: string, scratch: string): string[] {
  const dir = fs.mkdtempSync(path.join(scratch, 'unpacked-'));
  execFileSync('tar', ['-C', dir, '-xf', archive]);
  const [manifest] = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  return manifest!.Layers.map((l) => sha256(fs.readFileSync(path.join(dir, l))));
}

describe.skipIf(unmet(requireRoot(), requireCommand('busybox'), requireCommand('tar'), requireDockerd))('a docker-archive through a store that keeps each layer once', () => {
  const prefix = `hafen-skel-${randomBytes(3).toString('hex')}`;
  const base = `${prefix}/base:1`;
  const app = `${prefix}/app:1`;
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-skel-docker-'));
    const rootfs = path.join(work, 'rootfs');
    makeBusyboxRootfs(rootfs);
    execFileSync('tar', ['-C', rootfs, '-cf', path.join(work, 'rootfs.tar'), '.']);
    docker('import', '--change', 'CMD ["sh"]', path.join(work, 'rootfs.tar'), base);
    const ctx = path.join(work, 'ctx');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'app.txt'), 'hello\n');
    fs.writeFileSync(path.join(ctx, 'big.bin'), randomBytes(2 << 20));
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${base}\nCOPY app.txt big.bin /app/\nRUN rm /bin/vi && mkdir -p /var/x && echo 1 > /var/x/one\n`);
    docker('build', '-q', '-t', app, ctx);
  }, 120_000);
  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', app, base], { stdio: 'ignore' });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('imports docker save, keeps no layer tar beside the unpacked files, saves it back byte for byte, and docker loads it', async () => {
    const original = path.join(work, 'original.tar');
    docker('save', '-o', original, app);
    const diffIds = JSON.parse(docker('image', 'inspect', '--format', '{{json .RootFS.Layers}}', app)) as string[];
    expect(diffIds).toHaveLength(3);

    const store = openStore(path.join(work, 'store'));
    const [image] = await importDockerArchive(store, original);
    for (const layer of image!.manifest.layers) {
      expect(fs.existsSync(store.blobs.path(layer.digest)), `${layer.digest} kept whole`).toBe(false);
      expect(store.blobs.has(layer.digest)).toBe(true);
      expect(store.blobs.size(layer.digest)).toBe(layer.size);
    }
    // Blobs and skeletons together: a small fraction of the layers' bytes.
    const blobBytes = fs.readdirSync(store.paths.blobs).reduce((sum, n) => sum + fs.statSync(path.join(store.paths.blobs, n)).size, 0);
    expect(blobBytes).toBeLessThan(image!.manifest.layers.reduce((sum, l) => sum + l.size, 0) / 10);

    const saved = path.join(work, 'saved.tar');
    await saveDockerArchive(store, app, saved);
    expect(layerDigests(saved, work)).toEqual(layerDigests(original, work));

    docker('rmi', '-f', app);
    expect(docker('load', '-i', saved)).toContain(app);
    expect(JSON.parse(docker('image', 'inspect', '--format', '{{json .RootFS.Layers}}', app))).toEqual(diffIds);
  }, 120_000);
});
