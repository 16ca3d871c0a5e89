/**
 * A snapshot saved as a docker-archive and its record made again from the loaded images (issue 20),
 * on real stores: the busybox image, a container layer and a volume layer committed from real
 * folders, the archive written, imported into a second state root, and the record compared.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../../errors.js';
import { importBusyboxImage } from '../../../testing/busybox-image.js';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { commitUpper } from '../builder/layer-commit.js';
import { importDockerArchive } from '../image-io/index.js';
import { openStore, type Store } from '../store/index.js';
import { saveEmbeddedSnapshot } from './snapshot-archive.js';
import { restoreSnapshots } from './snapshot-from-images.js';
import { readSnapshot, writeSnapshot, type SnapshotRecord } from './snapshot-record.js';

describe.skipIf(unmet(requireRoot()))('snapshot archives of the embedded runtime', () => {
  let base = '';
  beforeEach(() => void (base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-snapshot-archive-'))));
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  /** A store under `<base>/<name>` with busybox, a snapshot `seed` of project `p` (one container layer, one volume layer). */
  async function seeded(name: string): Promise<{ root: string; store: Store; record: SnapshotRecord }> {
    const root = path.join(base, name);
    const store = openStore(root);
    const image = store.images.get(await importBusyboxImage(store))!;
    const upper = path.join(base, 'upper');
    fs.mkdirSync(path.join(upper, 'state'), { recursive: true });
    fs.writeFileSync(path.join(upper, 'state/a'), 'one\n');
    const c = await commitUpper(store, image.chainIds.at(-1)!, upper, [...image.layerDirs].reverse());
    const vol = path.join(base, 'vol');
    fs.mkdirSync(vol);
    fs.writeFileSync(path.join(vol, 'v'), 'vol\n');
    const v = await commitUpper(store, null, vol, []);
    const record: SnapshotRecord = {
      version: 1,
      name: 'seed',
      project: 'p',
      createdAt: '2026-12-06T12:00:00.000Z',
      containers: { 'p-app-1': { service: 'app', image: image.manifestDigest, layers: [c!.record.chainId] } },
      volumes: { p_data: { layers: [v!.record.chainId] } },
      size: c!.record.size + v!.record.size,
    };
    writeSnapshot(root, record);
    return { root, store, record };
  }

  it('writes each layer once, and a state root that loads the archive has the same snapshot on its own image', async () => {
    const { root, store, record } = await seeded('from');
    const file = path.join(base, 'seed.tar');
    expect(await saveEmbeddedSnapshot(root, store, 'p', 'seed', file)).toEqual(['hafen-snapshot/p/p-app-1:seed', 'hafen-snapshot/p/volume-p-data:seed']);
    const busyboxLayers = store.images.get('busybox:latest')!.chainIds.length;
    const members = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(members.filter((m) => m.endsWith('/layer.tar'))).toHaveLength(busyboxLayers + 2);

    const to = openStore(path.join(base, 'to'));
    const loaded = await importDockerArchive(to, file);
    expect(loaded).toHaveLength(3);
    expect(await restoreSnapshots(to.paths.root, to, loaded)).toEqual(['Restored snapshot seed of project p (1 containers, 1 volumes)']);
    const again = readSnapshot(to.paths.root, 'p', 'seed')!;
    const busybox = to.images.get('busybox:latest')!;
    expect(again).toEqual({ ...record, containers: { 'p-app-1': { ...record.containers['p-app-1']!, image: busybox.manifestDigest } } });
    // The volume's layer holds its tree at the root; the container's layer only what the snapshot changed.
    expect(fs.readFileSync(path.join(to.layers.diffDir(again.volumes.p_data!.layers[0] as `sha256:${string}`), 'v'), 'utf8')).toBe('vol\n');
    expect(fs.readdirSync(to.layers.diffDir(again.containers['p-app-1']!.layers[0] as `sha256:${string}`))).toEqual(['state']);
  });

  it('saves an anonymous volume as an image of its own and puts it back on its container at load', async () => {
    const { root, store, record } = await seeded('from');
    const anon = path.join(base, 'anon');
    fs.mkdirSync(anon);
    fs.writeFileSync(path.join(anon, 'a'), 'anon\n');
    const a = (await commitUpper(store, null, anon, []))!;
    const withAnon: SnapshotRecord = { ...record, containers: { 'p-app-1': { ...record.containers['p-app-1']!, anonymous: { '/anon': { layers: [a.record.chainId] } } } } };
    writeSnapshot(root, withAnon);
    const file = path.join(base, 'seed.tar');
    expect(await saveEmbeddedSnapshot(root, store, 'p', 'seed', file)).toEqual(['hafen-snapshot/p/p-app-1:seed', 'hafen-snapshot/p/anon-p-app-1-0:seed', 'hafen-snapshot/p/volume-p-data:seed']);

    const to = openStore(path.join(base, 'to'));
    const loaded = await importDockerArchive(to, file);
    expect(await restoreSnapshots(to.paths.root, to, loaded)).toEqual(['Restored snapshot seed of project p (1 containers, 1 volumes)']);
    const again = readSnapshot(to.paths.root, 'p', 'seed')!;
    const busybox = to.images.get('busybox:latest')!;
    expect(again.containers['p-app-1']).toEqual({ ...withAnon.containers['p-app-1']!, image: busybox.manifestDigest });
    expect(again.size).toBe(record.size + a.record.size);
    expect(fs.readFileSync(path.join(to.layers.diffDir(a.record.chainId), 'a'), 'utf8')).toBe('anon\n');
  });

  it('restores nothing from images whose base image is not in the store, and refuses a snapshot whose layers are gone', async () => {
    const { root, store, record } = await seeded('from');
    const file = path.join(base, 'seed.tar');
    await saveEmbeddedSnapshot(root, store, 'p', 'seed', file);
    const to = openStore(path.join(base, 'to'));
    const loaded = await importDockerArchive(to, file, { ref: 'hafen-snapshot/p/p-app-1:seed' });
    to.images.untag('busybox:latest');
    expect(await restoreSnapshots(to.paths.root, to, loaded)).toEqual([expect.stringContaining("snapshot seed: container p-app-1's image sha256:")]);
    expect(readSnapshot(to.paths.root, 'p', 'seed')).toBeUndefined();

    store.layers.remove(record.volumes.p_data!.layers[0] as `sha256:${string}`);
    await expect(saveEmbeddedSnapshot(root, store, 'p', 'seed', path.join(base, 'again.tar'))).rejects.toThrow(RuntimeError);
    expect(fs.existsSync(path.join(base, 'again.tar'))).toBe(false);
  });
});
