/**
 * Inputs that never end, or end far too late: a FIFO or /dev/zero as an archive is refused before a
 * byte is read; a real `docker save` archive over a small HAFEN_MAX_IMAGE_BYTES stops with the
 * limit named; a gzip layer of many zeros (a decompression bomb) stops at the per-layer limit; an
 * abort stops an import whose source blocks. Each leaves nothing in the store.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../errors.js';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { DEFAULT_LIMITS, ImageLimitError, imageLimits } from '../image-limits.js';
import { openStore, type Store } from '../store/index.js';
import { importDockerArchive } from './import-docker-archive.js';
import { importOciLayout } from './import-oci-layout.js';
import { sourceFileProblem } from './source-file.js';

const MIB = 1024 * 1024;

/** Everything in the store: blobs (with half-written ones), layers, tags, work files. Empty for a store nothing was added to. */
function storeContents(store: Store): string[] {
  const { blobs, layers, refs, tmp } = store.paths;
  return [blobs, layers, refs, tmp].flatMap((dir) => fs.readdirSync(dir).map((name) => path.join(path.relative(store.paths.root, dir), name)));
}

describe('image limits from the environment', () => {
  it('defaults to 16 GiB read and 64 GiB per layer, takes sizes with units, refuses nonsense naming the variable', () => {
    expect(imageLimits({})).toEqual(DEFAULT_LIMITS);
    expect(DEFAULT_LIMITS).toEqual({ maxBytes: 16 * 1024 ** 3, maxLayerBytes: 64 * 1024 ** 3 });
    expect(imageLimits({ HAFEN_MAX_IMAGE_BYTES: '10m', HAFEN_MAX_LAYER_BYTES: '1048576' })).toEqual({ maxBytes: 10 * MIB, maxLayerBytes: MIB });
    expect(() => imageLimits({ HAFEN_MAX_IMAGE_BYTES: 'lots' })).toThrow(UsageError);
    expect(() => imageLimits({ HAFEN_MAX_IMAGE_BYTES: 'lots' })).toThrow(/HAFEN_MAX_IMAGE_BYTES=lots: expected a size/);
    expect(() => imageLimits({ HAFEN_MAX_LAYER_BYTES: '0' })).toThrow(/HAFEN_MAX_LAYER_BYTES=0: the limit must be more than 0/);
  });
});

describe('archives that are not files', () => {
  let dir: string;
  let store: Store;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-endless-'));
    store = openStore(path.join(dir, 'store'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a FIFO without waiting for a writer, and leaves nothing', async () => {
    const fifo = path.join(dir, 'image.tar');
    execFileSync('mkfifo', [fifo]);
    expect(sourceFileProblem('docker-archive', fifo)).toBe(`${fifo} is a FIFO (named pipe); a docker-archive is a regular tar file (what \`docker save\` writes)`);
    expect(sourceFileProblem('oci', fifo)).toMatch(/is a FIFO \(named pipe\); an OCI image layout is a directory/);
    await expect(importDockerArchive(store, fifo)).rejects.toThrow(`docker-archive ${fifo}: ${fifo} is a FIFO (named pipe)`);
    expect(storeContents(store)).toEqual([]);
  });

  it('refuses /dev/zero (and a symlink to it) without reading it, and leaves nothing', async () => {
    expect(sourceFileProblem('docker-archive', '/dev/zero')).toMatch(/^\/dev\/zero is a character device;/);
    const link = path.join(dir, 'zero.tar');
    fs.symlinkSync('/dev/zero', link);
    const started = Date.now();
    await expect(importDockerArchive(store, link)).rejects.toThrow(/is a character device/);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(importOciLayout(store, '/dev/zero')).rejects.toThrow('oci /dev/zero: /dev/zero is not a directory');
    expect(storeContents(store)).toEqual([]);
  });

  it('takes a regular archive and a layout folder', () => {
    const file = path.join(dir, 'plain.tar');
    fs.writeFileSync(file, '');
    expect(sourceFileProblem('docker-archive', file)).toBeUndefined();
    expect(sourceFileProblem('oci', dir)).toBeUndefined();
    expect(sourceFileProblem('docker-archive', path.join(dir, 'none.tar'))).toBe(`${path.join(dir, 'none.tar')} does not exist`);
  });
});

describe.skipIf(unmet(requireRoot()))('size limits and aborts', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-limits-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** An OCI layout whose one layer is a gzip of a tar holding `zeros` bytes of zeros (a few KiB on disk). */
  function bombLayout(zeros: number): string {
    const layout = path.join(dir, `bomb-${zeros}`);
    fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    fs.writeFileSync(path.join(work, 'zeros'), Buffer.alloc(zeros));
    const tar = execFileSync('tar', ['-C', work, '-c', 'zeros'], { maxBuffer: zeros * 2 });
    fs.rmSync(work, { recursive: true });
    const gz = zlib.gzipSync(tar, { level: 9 });
    const put = (bytes: Buffer): { digest: string; size: number } => {
      const hex = createHash('sha256').update(bytes).digest('hex');
      fs.writeFileSync(path.join(layout, 'blobs', 'sha256', hex), bytes);
      return { digest: `sha256:${hex}`, size: bytes.length };
    };
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } })));
    const layer = put(gz);
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
        }),
      ),
    );
    fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    fs.writeFileSync(
      path.join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bomb' } }] }),
    );
    return layout;
  }

  it('stops a decompression bomb at the per-layer limit, with no partial layer left in the store', async () => {
    const layout = bombLayout(48 * MIB);
    const onDisk = fs.readdirSync(path.join(layout, 'blobs', 'sha256')).reduce((n, f) => n + fs.statSync(path.join(layout, 'blobs', 'sha256', f)).size, 0);
    expect(onDisk).toBeLessThan(MIB); // the whole layout is small; its layer unpacks to 48 MiB
    const store = openStore(path.join(dir, 'bomb-store'));
    const err = await importOciLayout(store, layout, { limits: { maxBytes: 16 * MIB, maxLayerBytes: 8 * MIB } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageLimitError);
    expect((err as Error).message).toBe(
      `oci ${layout}: the layer, uncompressed, is more than 8 MiB, the limit HAFEN_MAX_LAYER_BYTES sets (uncompressed size of one layer); set HAFEN_MAX_LAYER_BYTES higher (e.g. HAFEN_MAX_LAYER_BYTES=32m) to allow it`,
    );
    expect(storeContents(store)).toEqual([]);
    // Under a limit it fits, the same layout imports.
    const [image] = await importOciLayout(store, layout, { limits: { maxBytes: 16 * MIB, maxLayerBytes: 64 * MIB } });
    expect(fs.statSync(path.join(image!.layerDirs[0]!, 'zeros')).size).toBe(48 * MIB);
  });

  it('stops an import mid-layer when it is aborted (Ctrl-C), leaving no blob, layer or work folder', async () => {
    const layout = bombLayout(48 * MIB);
    const store = openStore(path.join(dir, 'abort-store'));
    const ac = new AbortController();
    // Abort the moment the layer is being unpacked: its work folder is there.
    const watch = setInterval(() => {
      if (fs.readdirSync(store.paths.tmp).length > 0) ac.abort();
    }, 2);
    try {
      const err = await importOciLayout(store, layout, { signal: ac.signal, limits: { maxBytes: 16 * MIB, maxLayerBytes: 1024 * MIB } }).catch((e: unknown) => e);
      expect(ac.signal.aborted).toBe(true);
      expect((err as Error).name).toBe('AbortError');
    } finally {
      clearInterval(watch);
    }
    expect(storeContents(store)).toEqual([]);
  });
});

/** Whether a Docker engine answers (for `docker save`). */
function dockerAnswers(): boolean {
  return spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

describe.skipIf(unmet(requireRoot(), requireCommand('docker'), requireCommand('busybox')) || (!dockerAnswers() && process.env.CI !== 'true'))('a real archive over the limit', () => {
  let dir: string;
  let archive: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-limit-real-'));
    const [{ DockerRuntime }, { importBusyboxImage }] = await Promise.all([import('../../docker/docker-runtime.js'), import('../../docker/test-images.js')]);
    const runtime = new DockerRuntime();
    const name = await importBusyboxImage(runtime.docker);
    await runtime.close();
    archive = path.join(dir, 'busybox.tar');
    execFileSync('docker', ['save', '-o', archive, name]);
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stops reading a `docker save` archive at HAFEN_MAX_IMAGE_BYTES, names the limit, and leaves nothing', async () => {
    const size = fs.statSync(archive).size;
    expect(size).toBeGreaterThan(MIB);
    const store = openStore(path.join(dir, 'store'));
    const limits = { maxBytes: 256 * 1024, maxLayerBytes: DEFAULT_LIMITS.maxLayerBytes };
    await expect(importDockerArchive(store, archive, { limits })).rejects.toThrow(
      `docker-archive ${archive}: the archive is more than 256 KiB, the limit HAFEN_MAX_IMAGE_BYTES sets (bytes an import or pull may read); set HAFEN_MAX_IMAGE_BYTES higher (e.g. HAFEN_MAX_IMAGE_BYTES=1m) to allow it`,
    );
    expect(storeContents(store)).toEqual([]);
    // Its layer over the per-layer limit: refused from the member's header, before it is stored.
    await expect(importDockerArchive(store, archive, { limits: { maxBytes: DEFAULT_LIMITS.maxBytes, maxLayerBytes: 64 * 1024 } })).rejects.toThrow(/is more than 64 KiB, the limit HAFEN_MAX_LAYER_BYTES sets/);
    expect(storeContents(store)).toEqual([]);
    // With room, it imports.
    const [image] = await importDockerArchive(store, archive, { limits: { maxBytes: 2 * size, maxLayerBytes: 2 * size } });
    expect(image!.layerDirs).toHaveLength(1);
  });
});
