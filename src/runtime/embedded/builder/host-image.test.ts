import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { sha256 } from '../layers/index.js';
import { openStore } from '../store/index.js';
import { ensureHostImage, HOST_BASE_LABEL, hostBaseLayer, hostBindPaths, hostDirectories, isHostBased } from './host-image.js';

/** A fake host root: merged /usr (bin, lib as symlinks), a real lib64, a home and secrets that must never show. */
function fakeHost(dir: string): void {
  for (const d of ['usr/bin', 'usr/lib', 'lib64', 'etc/ssl/certs', 'home/alice', 'root/.ssh']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.symlinkSync('usr/bin', path.join(dir, 'bin'));
  fs.symlinkSync('usr/lib', path.join(dir, 'lib'));
  fs.symlinkSync('/usr/share/zoneinfo/Etc/UTC', path.join(dir, 'etc/localtime'));
  fs.writeFileSync(path.join(dir, 'etc/ld.so.cache'), 'cache');
  fs.writeFileSync(path.join(dir, 'etc/shadow'), 'root:secret');
  fs.writeFileSync(path.join(dir, 'root/.ssh/id_ed25519'), 'key');
}

describe('host image', () => {
  let host: string;
  beforeEach(() => {
    host = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-fake-host-'));
    fakeHost(host);
  });
  afterEach(() => fs.rmSync(host, { recursive: true, force: true }));

  it('lists the host system paths that exist, symlinks as symlinks, nothing private', () => {
    expect(hostDirectories(host)).toEqual([
      { path: '/usr', kind: 'dir' },
      { path: '/bin', kind: 'symlink', target: 'usr/bin' },
      { path: '/lib', kind: 'symlink', target: 'usr/lib' },
      { path: '/lib64', kind: 'dir' },
      { path: '/etc/ssl', kind: 'dir' },
      { path: '/etc/ld.so.cache', kind: 'file' },
      { path: '/etc/localtime', kind: 'symlink', target: '/usr/share/zoneinfo/Etc/UTC' },
    ]);
    expect(hostBindPaths(host)).toEqual(['/usr', '/lib64', '/etc/ssl', '/etc/ld.so.cache']);
  });

  it('makes the same small base layer every time: users, mount points, placeholders, no host file', () => {
    const tar = hostBaseLayer(host);
    expect(sha256(hostBaseLayer(host))).toBe(sha256(tar));
    const text = tar.toString('latin1');
    for (const name of ['etc/passwd', 'etc/group', 'etc/nsswitch.conf', 'etc/hosts', 'tmp/', 'root/', 'usr/', 'lib64/', 'etc/ssl/']) expect(text).toContain(name);
    expect(text).toContain('hosts: files dns');
    expect(text).toContain('nobody:x:65534');
    for (const secret of ['secret', 'id_ed25519', 'alice', 'etc/shadow', 'certs']) expect(text).not.toContain(secret);
    expect(tar.length).toBeLessThan(16 * 1024);
  });
});

describe.skipIf(unmet(requireRoot()))('host image in the store', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-host-store-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is stored once as a real layer, labelled, and found again', async () => {
    const store = openStore(root);
    const first = await ensureHostImage(store);
    expect(first.created).toBe(true);
    expect(isHostBased(first.image.config)).toBe(true);
    expect(first.image.config.config.Labels).toEqual({ [HOST_BASE_LABEL]: 'host' });
    expect(first.image.config.config.Env?.[0]).toMatch(/^PATH=/);
    const diff = first.image.layerDirs[0]!;
    expect(fs.statSync(path.join(diff, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(fs.readdirSync(path.join(diff, 'usr'))).toEqual([]);
    const again = await ensureHostImage(store);
    expect(again.created).toBe(false);
    expect(again.image.manifestDigest).toBe(first.image.manifestDigest);
    expect(store.blobs.list()).toHaveLength(3);
  });
});
