/**
 * Interoperability with real tools: a busybox-static rootfs made into an OCI layout by umoci,
 * turned into a docker-archive by skopeo, imported; and an archive hafen saves, read back by skopeo.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from '../launcher/busybox-rootfs.js';
import { sha256 } from '../layers/index.js';
import { openStore, type Store } from '../store/index.js';
import { saveDockerArchive } from './export-docker-archive.js';
import { treeSnapshot } from './fixtures/test-image.js';
import { importDockerArchive } from './import-docker-archive.js';
import { importOciLayout } from './import-oci-layout.js';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });

describe.skipIf(unmet(requireRoot(), requireCommand('umoci'), requireCommand('skopeo'), requireCommand('busybox')))('images made by umoci and skopeo', () => {
  let base: string;
  let layout: string;
  let firstRootfs: ReturnType<typeof treeSnapshot>;
  let store: Store;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-real-tools-'));
    layout = path.join(base, 'layout');
    const bundle = path.join(base, 'bundle');
    run('umoci', ['init', '--layout', layout]);
    run('umoci', ['new', '--image', `${layout}:latest`]);
    run('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
    makeBusyboxRootfs(path.join(bundle, 'rootfs'));
    run('umoci', ['repack', '--refresh-bundle', '--image', `${layout}:latest`, bundle]);
    // Without mtimes: umoci's tar writer rounds them to the nearest second, the snapshot truncates.
    firstRootfs = treeSnapshot(path.join(bundle, 'rootfs'), { mtimes: false });
    // A second layer that deletes a file (a whiteout) and adds one.
    fs.rmSync(path.join(bundle, 'rootfs/etc/group'));
    fs.writeFileSync(path.join(bundle, 'rootfs/etc/motd'), 'made by umoci\n');
    run('umoci', ['repack', '--image', `${layout}:latest`, bundle]);
    run('umoci', ['config', '--image', `${layout}:latest`, '--config.cmd', '/bin/sh']);
    store = openStore(path.join(base, 'store'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('imports the docker-archive skopeo makes of it, files byte-identical', async () => {
    const archive = path.join(base, 'busybox.tar');
    run('skopeo', ['copy', '--quiet', `oci:${layout}:latest`, `docker-archive:${archive}:hafen-test/busybox:1`]);
    const [image] = await importDockerArchive(store, archive);
    expect(image!.name).toBe('hafen-test/busybox:1');
    expect(image!.config.config.Cmd).toEqual(['/bin/sh']);
    expect(image!.layerDirs).toHaveLength(2);
    expect(treeSnapshot(image!.layerDirs[0]!, { mtimes: false })).toEqual(firstRootfs);
    const top = treeSnapshot(image!.layerDirs[1]!);
    expect(top['etc/group']).toMatchObject({ type: 'char', rdev: '0' });
    expect(fs.readFileSync(path.join(image!.layerDirs[1]!, 'etc/motd'), 'utf8')).toBe('made by umoci\n');

    // The layout itself imports as the same image (skopeo kept the config as it was).
    const other = openStore(path.join(base, 'other'));
    const [fromLayout] = await importOciLayout(other, layout, { ref: 'latest', tag: 'busybox:oci' });
    expect(fromLayout!.manifest.config.digest).toBe(image!.manifest.config.digest);
    expect(fromLayout!.chainIds).toEqual(image!.chainIds);
  });

  it('saves an archive skopeo reads, and it comes back as the same image', async () => {
    const saved = path.join(base, 'saved.tar');
    const { imageId } = await saveDockerArchive(store, 'hafen-test/busybox:1', saved);
    const inspected = JSON.parse(run('skopeo', ['inspect', `docker-archive:${saved}`]));
    expect(inspected.RepoTags ?? []).toEqual([]); // skopeo shows registry tags here; the archive's name is below
    expect(inspected.Layers).toHaveLength(2);
    const config = execFileSync('skopeo', ['inspect', '--config', '--raw', `docker-archive:${saved}`]);
    expect(sha256(config)).toBe(imageId);
    // skopeo rewrites the archive its own way (and would re-marshal the config for an OCI layout).
    const copied = path.join(base, 'copied.tar');
    run('skopeo', ['copy', '--quiet', `docker-archive:${saved}`, `docker-archive:${copied}:busybox:again`]);
    const fresh = openStore(path.join(base, 'fresh'));
    const [again] = await importDockerArchive(fresh, copied);
    expect(again!.name).toBe('busybox:again');
    expect(again!.manifest.config.digest).toBe(imageId);
    // Without mtimes: umoci leaves out a parent folder whose time did not change, so it is made at unpack time.
    const files = (dirs: string[]) => dirs.map((d) => treeSnapshot(d, { mtimes: false }));
    expect(files(again!.layerDirs)).toEqual(files(store.images.get('hafen-test/busybox:1')!.layerDirs));
  });
});
