/**
 * Pulls from a real registry (Debian's docker-registry on loopback, images pushed by skopeo): by tag
 * and by digest, a multi-platform index, basic and token auth, a tampered blob, a missing tag,
 * transient failures retried, a download that keeps breaking; and what each leaves in the store.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { openStore, type Store } from '../store/index.js';
import { makeLayeredImage, saveArchive, saveMultiPlatformLayout } from './fixtures/test-images.js';
import { skopeoCopy, startRegistry, type TestRegistry } from './fixtures/test-registry.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';
import { pullFromRegistry, type PullOptions } from './pull.js';
import { RegistryError } from './registry-error.js';
import { ImageLimitError } from '../image-limits.js';

const noWait = { retry: { sleep: async () => {} } };

/** A fetch that records the paths asked for and lets a test answer some requests itself. */
function recordingFetch(intercept?: (url: URL) => Response | Error | undefined): { fetch: typeof fetch; paths: string[] } {
  const paths: string[] = [];
  const wrapped = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    paths.push(url.pathname);
    const answer = intercept?.(url);
    if (answer instanceof Error) throw answer;
    return answer ?? fetch(input, init);
  }) as typeof fetch;
  return { fetch: wrapped, paths };
}

/** Everything in the store besides empty folders: tags, blobs, layers, temporary files. */
function storeContents(store: Store): string[] {
  return [store.paths.refs, store.paths.blobs, store.paths.layers, store.paths.tmp].flatMap((dir) => fs.readdirSync(dir).map((n) => `${path.basename(dir)}/${n}`));
}

describe.skipIf(unmet(requireRoot(), requireCommand('docker-registry'), requireCommand('skopeo'), requireCommand('busybox'), requireCommand('perl'), requireCommand('openssl')))(
  'pulling from a registry',
  () => {
    let base: string;
    let source: Store;
    let registry: TestRegistry;
    let store: Store;
    let appId: string;
    let archive: string;
    const stops: (() => Promise<void>)[] = [];
    const inspect = (ref: string, ...args: string[]) => execFileSync('skopeo', ['inspect', '--tls-verify=false', ...args, `docker://${ref}`], { encoding: 'utf8' });

    beforeAll(async () => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-registry-'));
      source = openStore(path.join(base, 'source'));
      await makeLayeredImage(source, 'hafen-test/app:1', [{ 'app/one.txt': 'one\n' }, { 'app/two.txt': 'two\n' }]);
      await makeLayeredImage(source, 'hafen-test/tamper:1', [{ 'tamper.txt': `only here ${process.pid}\n` }]);
      await makeLayeredImage(source, 'hafen-test/multi-amd64', [{ 'platform.txt': 'amd64\n' }], { architecture: 'amd64' });
      await makeLayeredImage(source, 'hafen-test/multi-arm64', [{ 'platform.txt': 'arm64\n' }], { architecture: 'arm64' });
      appId = source.images.get('hafen-test/app:1')!.manifest.config.digest;
      archive = await saveArchive(source, 'hafen-test/app:1', path.join(base, 'app.tar'));
      const tamperArchive = await saveArchive(source, 'hafen-test/tamper:1', path.join(base, 'tamper.tar'));
      const layout = path.join(base, 'multi');
      saveMultiPlatformLayout(source, [{ name: 'hafen-test/multi-arm64', architecture: 'arm64' }, { name: 'hafen-test/multi-amd64', architecture: 'amd64' }], layout, 'multi');

      registry = await startRegistry(path.join(base, 'registry'));
      stops.push(registry.stop);
      await skopeoCopy(`docker-archive:${archive}`, `docker://${registry.host}/hafen/app:1`);
      await skopeoCopy(`docker-archive:${tamperArchive}`, `docker://${registry.host}/hafen/tamper:1`);
      await skopeoCopy(`oci:${layout}:multi`, `docker://${registry.host}/hafen/multi:1`, { all: true });
    }, 120_000);
    afterAll(async () => {
      for (const stop of stops.reverse()) await stop();
      fs.rmSync(base, { recursive: true, force: true });
    });
    beforeEach(() => {
      store = openStore(fs.mkdtempSync(path.join(base, 'store-')));
    });

    it('pulls by tag: the image id is the pushed one, tagged as written; a second pull downloads nothing', async () => {
      const ref = `${registry.host}/hafen/app:1`;
      const lines: string[] = [];
      const first = await pullFromRegistry(store, ref, { onProgress: (l) => lines.push(l) });
      expect(first.image.manifest.config.digest).toBe(appId);
      expect(first.names).toEqual([ref]);
      expect(store.images.resolve(ref)).toBe(first.image.manifestDigest);
      expect([first.downloadedBlobs, first.reusedLayers, first.image.layerDirs.length]).toEqual([3, 0, 3]);
      expect(fs.readFileSync(path.join(first.image.layerDirs[2]!, 'app/two.txt'), 'utf8')).toBe('two\n');
      expect(lines.filter((l) => l.endsWith('verified'))).toHaveLength(3);
      expect(lines.filter((l) => l.endsWith('extracted'))).toHaveLength(3);

      const { fetch, paths } = recordingFetch();
      const again = await pullFromRegistry(store, ref, { fetch });
      expect([again.downloadedBlobs, again.downloadedBytes, again.reusedLayers]).toEqual([0, 0, 3]);
      expect(paths.filter((p) => p.includes('/blobs/'))).toEqual([]);
      expect(again.image.manifestDigest).toBe(first.image.manifestDigest);
    });

    it('pulls by digest, checked against the manifest; pulling it again asks the registry nothing', async () => {
      const digest = (JSON.parse(inspect(`${registry.host}/hafen/app:1`)) as { Digest: string }).Digest;
      const ref = `${registry.host}/hafen/app@${digest}`;
      const pulled = await pullFromRegistry(store, ref);
      expect(pulled.resolvedDigest).toBe(digest);
      expect(pulled.image.manifest.config.digest).toBe(appId);
      expect(store.images.resolve(ref)).toBe(pulled.image.manifestDigest);
      const { fetch, paths } = recordingFetch();
      await pullFromRegistry(store, ref, { fetch });
      expect(paths).toEqual([]);
    });

    it('refuses a pull over HAFEN_MAX_IMAGE_BYTES before downloading, and stops a layer over HAFEN_MAX_LAYER_BYTES; neither keeps anything', async () => {
      const ref = `${registry.host}/hafen/app:1`;
      const { fetch, paths } = recordingFetch();
      const tooMuch = await pullFromRegistry(store, ref, { fetch, limits: { maxBytes: 1024, maxLayerBytes: 1 << 30 } }).catch((e: unknown) => e);
      expect(tooMuch).toBeInstanceOf(ImageLimitError);
      expect((tooMuch as Error).message).toMatch(new RegExp(`^${ref}: the download \\(\\d+ bytes of layers\\) is more than 1 KiB, the limit HAFEN_MAX_IMAGE_BYTES sets .*; set HAFEN_MAX_IMAGE_BYTES higher`));
      expect(paths.filter((p) => p.includes('/blobs/sha256') && !p.endsWith(appId.slice('sha256:'.length)))).toEqual([]);
      expect(storeContents(store)).toEqual([]);
      // The busybox base layer unpacks to more than 64 KiB: refused as a limit, not as a damaged blob.
      const bigLayer = await pullFromRegistry(store, ref, { limits: { maxBytes: 1 << 30, maxLayerBytes: 64 * 1024 } }).catch((e: unknown) => e);
      expect(bigLayer).toBeInstanceOf(ImageLimitError);
      expect((bigLayer as Error).message).toContain('the layer, uncompressed, is more than 64 KiB, the limit HAFEN_MAX_LAYER_BYTES sets');
      expect(storeContents(store)).toEqual([]);
    });

    it('picks linux/amd64 from a multi-platform index listing arm64 first', async () => {
      const pulled = await pullFromRegistry(store, `${registry.host}/hafen/multi:1`);
      expect(pulled.platform).toBe('linux/amd64');
      expect(pulled.image.config.architecture).toBe('amd64');
      expect(fs.readFileSync(path.join(pulled.image.layerDirs.at(-1)!, 'platform.txt'), 'utf8')).toBe('amd64\n');
    });

    it('refuses a tampered blob, naming the image, and keeps nothing of the pull', async () => {
      const manifest = JSON.parse(inspect(`${registry.host}/hafen/tamper:1`, '--raw')) as { layers: { digest: string }[] };
      const file = registry.blobFile(manifest.layers.at(-1)!.digest);
      const saved = fs.readFileSync(file);
      const bytes = Buffer.from(saved);
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
      fs.writeFileSync(file, bytes);
      try {
        const ref = `${registry.host}/hafen/tamper:1`;
        const err = await pullFromRegistry(store, ref).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RegistryError);
        expect((err as RegistryError).reason).toBe('digest-mismatch');
        expect((err as Error).message).toMatch(new RegExp(`^image ${ref}: blob ${manifest.layers.at(-1)!.digest} from ${registry.host} does not match its digest \\(its bytes hash to sha256:[0-9a-f]{64}\\)`));
        expect(storeContents(store)).toEqual([]);
      } finally {
        fs.writeFileSync(file, saved);
      }
    });

    it('says clearly when the tag or the repository is missing', async () => {
      await expect(pullFromRegistry(store, `${registry.host}/hafen/app:nope`)).rejects.toThrow(
        `image ${registry.host}/hafen/app:nope: manifest for ${registry.host}/hafen/app:nope not found: no tag "nope" in ${registry.host} (404 Not Found: MANIFEST_UNKNOWN`,
      );
      await expect(pullFromRegistry(store, `${registry.host}/hafen/none:1`)).rejects.toThrow(new RegExp(`^image ${registry.host}/hafen/none:1: .*not found.* \\(404 Not Found: (NAME|MANIFEST)_UNKNOWN`));
      expect(storeContents(store)).toEqual([]);
    });

    it('retries 5xx answers and dropped connections with back-off', async () => {
      let failures = 0;
      const { fetch } = recordingFetch((url) => {
        if (!url.pathname.includes('/blobs/') || failures >= 4) return undefined;
        failures++;
        return failures % 2 ? new Response('busy', { status: 503 }) : Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
      });
      const pulled = await pullFromRegistry(store, `${registry.host}/hafen/app:1`, { fetch, ...noWait });
      expect(pulled.image.manifest.config.digest).toBe(appId);
      expect(failures).toBe(4);
    });

    it('gives up on a rate limit with a clear error', async () => {
      const { fetch } = recordingFetch((url) => (url.pathname.includes('/manifests/') ? new Response('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}', { status: 429 }) : undefined));
      await expect(pullFromRegistry(store, `${registry.host}/hafen/app:1`, { fetch, ...noWait })).rejects.toThrow(
        `image ${registry.host}/hafen/app:1: ${registry.host} is rate-limiting pulls (429 Too Many Requests: TOOMANYREQUESTS (slow down)) and still was after 5 tries`,
      );
    });

    it('restarts a download that broke off, and leaves nothing when it keeps breaking', async () => {
      const breaking = (times: number) => {
        let broken = 0;
        return recordingFetch((url) => {
          if (!url.pathname.includes('/blobs/') || broken >= times) return undefined;
          broken++;
          const body = new ReadableStream({
            start(c) {
              c.enqueue(new Uint8Array(10));
              c.error(Object.assign(new TypeError('terminated'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }));
            },
          });
          return new Response(body, { status: 200 });
        });
      };
      const once = breaking(1);
      expect((await pullFromRegistry(store, `${registry.host}/hafen/app:1`, { fetch: once.fetch, ...noWait })).image.manifest.config.digest).toBe(appId);

      const fresh = openStore(fs.mkdtempSync(path.join(base, 'store-')));
      const always = breaking(1000);
      const err = (await pullFromRegistry(fresh, `${registry.host}/hafen/app:1`, { fetch: always.fetch, ...noWait }).catch((e: unknown) => e)) as RegistryError;
      expect(err.reason).toBe('unavailable');
      expect(err.message).toMatch(/the download broke off 5 times/);
      expect(storeContents(fresh)).toEqual([]);
    });

    describe('behind basic auth', () => {
      let secured: TestRegistry;
      const configDir = () => path.join(base, 'docker-config');
      const withCredentials = (user: string, password: string): PullOptions => {
        fs.mkdirSync(configDir(), { recursive: true });
        const auth = Buffer.from(`${user}:${password}`).toString('base64');
        fs.writeFileSync(path.join(configDir(), 'config.json'), JSON.stringify({ auths: { [`http://${secured.host}`]: { auth } } }));
        return { env: { ...process.env, DOCKER_CONFIG: configDir() } };
      };
      beforeAll(async () => {
        secured = await startRegistry(path.join(base, 'basic'), { kind: 'htpasswd', user: 'alice', password: 'wonder land' });
        stops.push(secured.stop);
        await skopeoCopy(`docker-archive:${archive}`, `docker://${secured.host}/hafen/app:1`, { creds: 'alice:wonder land' });
      }, 60_000);

      it('pulls with the credentials of ~/.docker/config.json', async () => {
        const pulled = await pullFromRegistry(store, `${secured.host}/hafen/app:1`, withCredentials('alice', 'wonder land'));
        expect(pulled.image.manifest.config.digest).toBe(appId);
      });

      it('says to log in without credentials, and names the user whose credentials were refused', async () => {
        const ref = `${secured.host}/hafen/app:1`;
        await expect(pullFromRegistry(store, ref, { env: { ...process.env, DOCKER_CONFIG: path.join(base, 'nowhere') } })).rejects.toThrow(
          `image ${ref}: pull access denied: ${secured.host}/hafen/app does not exist or needs credentials; log in with \`docker login ${secured.host}\``,
        );
        await expect(pullFromRegistry(store, ref, withCredentials('alice', 'wrong'))).rejects.toThrow(`image ${ref}: ${secured.host} refused the credentials of user alice (from ${configDir()}/config.json) (401 Unauthorized`);
        expect(storeContents(store)).toEqual([]);
      });
    });

    describe('behind token auth', () => {
      let tokens: TokenServer;
      let secured: TestRegistry;
      beforeAll(async () => {
        tokens = await startTokenServer(path.join(base, 'tokens'), 'bob', 'builder');
        stops.push(tokens.stop);
        secured = await startRegistry(path.join(base, 'token'), { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile });
        stops.push(secured.stop);
        await skopeoCopy(`docker-archive:${archive}`, `docker://${secured.host}/hafen/app:1`, { creds: 'bob:builder' });
      }, 60_000);

      it('answers the bearer challenge with a pull token for the repository', async () => {
        tokens.requests.length = 0;
        const pulled = await pullFromRegistry(store, `${secured.host}/hafen/app:1`, { credentials: () => ({ username: 'bob', password: 'builder', source: 'test' }) });
        expect(pulled.image.manifest.config.digest).toBe(appId);
        expect(tokens.requests).toEqual([{ scope: 'repository:hafen/app:pull', user: 'bob' }]);
      });

      it('refuses without credentials, naming the image', async () => {
        await expect(pullFromRegistry(store, `${secured.host}/hafen/app:1`, { credentials: () => undefined })).rejects.toThrow(
          `image ${secured.host}/hafen/app:1: pull access denied: ${secured.host}/hafen/app does not exist or needs credentials`,
        );
      });
    });
  },
);
