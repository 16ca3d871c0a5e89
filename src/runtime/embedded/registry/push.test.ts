/**
 * Pushes to a real registry (Debian's docker-registry on loopback): built and imported (skopeo,
 * umoci) images round-trip under the same digest (read back by skopeo and by our pull); a second
 * push sends no blob; another repository mounts; large blobs go in chunks; basic and token auth;
 * wrong credentials, a missing registry and a damaged store copy each end in one clear line.
 * Every test pushes to repositories of its own; the registry and its storage go after the file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { importOciLayout } from '../image-io/index.js';
import { sha256 } from '../layers/index.js';
import { openStore, type Store } from '../store/index.js';
import { makeLayeredImage, saveArchive } from './fixtures/test-images.js';
import { freePort, skopeoCopy, startRegistry, type TestRegistry } from './fixtures/test-registry.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';
import { pullFromRegistry } from './pull.js';
import { pushToRegistry, type PushEvent, type PushOptions } from './push.js';
import { RegistryError } from './registry-error.js';

const noWait = { retry: { sleep: async () => {} } };

/** A fetch that records method and path of every request, and lets a test change an answer (or fail a request). */
function recordingFetch(change?: (req: { method: string; url: URL }, res: () => Promise<Response>) => Promise<Response> | Response | Error) {
  const seen: { method: string; path: string; search: string; headers: Record<string, string> }[] = [];
  const wrapped = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = init?.method ?? 'GET';
    seen.push({ method, path: url.pathname, search: url.search, headers: { ...(init?.headers as Record<string, string>) } });
    const real = () => fetch(input, init);
    const answer = change ? await change({ method, url }, real) : await real();
    if (answer instanceof Error) throw answer;
    return answer;
  }) as typeof fetch;
  return { fetch: wrapped, seen };
}

/** The layer events of a push, by outcome kind. */
function collect(): { onEvent: (e: PushEvent) => void; layers: Extract<PushEvent, { kind: 'layer' }>[] } {
  const layers: Extract<PushEvent, { kind: 'layer' }>[] = [];
  return { onEvent: (e) => void (e.kind === 'layer' && layers.push(e)), layers };
}

describe.skipIf(unmet(requireRoot(), requireCommand('docker-registry'), requireCommand('skopeo'), requireCommand('umoci'), requireCommand('busybox'), requireCommand('perl'), requireCommand('openssl')))(
  'pushing to a registry',
  () => {
    let base: string;
    let store: Store;
    let registry: TestRegistry;
    const stops: (() => Promise<void>)[] = [];
    const skopeo = (...args: string[]) => execFileSync('skopeo', args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    /** The manifest digest the registry serves for `ref`, read by skopeo. */
    const servedDigest = (ref: string, creds?: string): string => sha256(Buffer.from(skopeo('inspect', '--raw', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${ref}`)));

    beforeAll(async () => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-push-'));
      store = openStore(path.join(base, 'store'));
      await makeLayeredImage(store, 'hafen-test/app:1', [{ 'app/one.txt': 'one\n' }, { 'app/two.txt': `two ${process.pid}\n` }]);
      registry = await startRegistry(path.join(base, 'registry'));
      stops.push(registry.stop);
    }, 120_000);
    afterAll(async () => {
      for (const stop of stops.reverse()) await stop();
      fs.rmSync(base, { recursive: true, force: true });
    });

    it('pushes a built image: the registry serves its manifest under our digest, and skopeo copies back the same bytes', async () => {
      const image = store.images.get('hafen-test/app:1')!;
      const { onEvent, layers } = collect();
      const pushed = await pushToRegistry(store, 'hafen-test/app:1', `${registry.host}/built/app:1`, { onEvent });
      expect(pushed).toEqual({ reference: `${registry.host}/built/app:1`, digest: image.manifestDigest, mediaType: image.manifest.mediaType });
      expect(layers.map((l) => [l.digest, l.outcome.kind]).sort()).toEqual(image.manifest.layers.map((l) => [l.digest, 'pushed']).sort());
      expect(servedDigest(`${registry.host}/built/app:1`)).toBe(image.manifestDigest);

      // skopeo copies it back as it is (dir: keeps every blob as sent): the same manifest, config and layer bytes as our store's.
      const copy = path.join(base, 'copied-back');
      skopeo('copy', '--quiet', '--src-tls-verify=false', `docker://${registry.host}/built/app:1`, `dir:${copy}`);
      expect(fs.readFileSync(path.join(copy, 'manifest.json'))).toEqual(store.blobs.readBytes(image.manifestDigest));
      for (const d of [image.manifest.config, ...image.manifest.layers]) {
        const ours: Buffer[] = [];
        for await (const chunk of store.blobs.open(d.digest)) ours.push(chunk as Buffer);
        expect(fs.readFileSync(path.join(copy, d.digest.slice('sha256:'.length))).equals(Buffer.concat(ours))).toBe(true);
      }
      // And our own pull into an empty store gets the same image.
      const fresh = openStore(fs.mkdtempSync(path.join(base, 'fresh-')));
      const pulled = await pullFromRegistry(fresh, `${registry.host}/built/app:1`);
      expect(pulled.image.manifestDigest).toBe(image.manifestDigest);
    });

    it('pushes images imported from layouts skopeo and umoci wrote, under the digest the store has', async () => {
      const skopeoLayout = path.join(base, 'skopeo-layout');
      skopeo('copy', '--quiet', `docker-archive:${await saveArchive(store, 'hafen-test/app:1', path.join(base, 'app.tar'))}`, `oci:${skopeoLayout}:app`);
      const umociLayout = path.join(base, 'umoci-layout');
      execFileSync('umoci', ['init', '--layout', umociLayout]);
      execFileSync('umoci', ['new', '--image', `${umociLayout}:u`]);
      // unpack, change, repack (umoci 0.4.7's `insert` of a single file writes a truncated tar).
      const bundle = path.join(base, 'umoci-bundle');
      execFileSync('umoci', ['unpack', '--image', `${umociLayout}:u`, bundle]);
      fs.mkdirSync(path.join(bundle, 'rootfs/etc'), { recursive: true });
      fs.writeFileSync(path.join(bundle, 'rootfs/etc/umoci.txt'), `made by umoci ${process.pid}\n`);
      execFileSync('umoci', ['repack', '--image', `${umociLayout}:u`, bundle]);
      for (const [layout, ref, name] of [[skopeoLayout, 'app', 'imported/skopeo'], [umociLayout, 'u', 'imported/umoci']] as const) {
        const [image] = await importOciLayout(store, layout, { ref, tag: `hafen-test/${name}:1` });
        const pushed = await pushToRegistry(store, `hafen-test/${name}:1`, `${registry.host}/${name}:1`);
        expect(pushed.digest).toBe(image!.manifestDigest);
        expect(servedDigest(`${registry.host}/${name}:1`)).toBe(image!.manifestDigest);
      }
    });

    it('a second push sends no blob: every layer exists, only HEADs and the manifest go', async () => {
      await pushToRegistry(store, 'hafen-test/app:1', `${registry.host}/again/app:1`);
      const { fetch, seen } = recordingFetch();
      const { onEvent, layers } = collect();
      await pushToRegistry(store, 'hafen-test/app:1', `${registry.host}/again/app:1`, { fetch, onEvent });
      expect(layers.every((l) => l.outcome.kind === 'exists')).toBe(true);
      expect(layers).toHaveLength(3);
      const blobRequests = seen.filter((s) => s.path.includes('/blobs/'));
      expect(blobRequests.every((s) => s.method === 'HEAD')).toBe(true);
      expect(blobRequests).toHaveLength(4); // three layers and the config
      expect(seen.filter((s) => s.method === 'PUT').map((s) => s.path)).toEqual(['/v2/again/app/manifests/1']);
    });

    it('mounts blobs into another repository from where they were pushed, and from where they were pulled', async () => {
      await pushToRegistry(store, 'hafen-test/app:1', `${registry.host}/mount-a/app:1`);
      const { fetch, seen } = recordingFetch();
      const { onEvent, layers } = collect();
      const pushed = await pushToRegistry(store, 'hafen-test/app:1', `${registry.host}/mount-b/app:2`, { fetch, onEvent });
      expect(layers.map((l) => l.outcome)).toEqual(layers.map(() => ({ kind: 'mounted', from: expect.stringMatching(/^(mount-a|again|built)\/app$/) })));
      expect(seen.filter((s) => s.method === 'PATCH' || (s.method === 'PUT' && s.path.includes('/blobs/')))).toEqual([]);
      expect(servedDigest(`${registry.host}/mount-b/app:2`)).toBe(pushed.digest);

      // A store that only pulled the image knows the repository it came from.
      const puller = openStore(fs.mkdtempSync(path.join(base, 'puller-')));
      await pullFromRegistry(puller, `${registry.host}/mount-b/app:2`);
      const fromPull = collect();
      await pushToRegistry(puller, `${registry.host}/mount-b/app:2`, `${registry.host}/mount-c/app:3`, { onEvent: fromPull.onEvent });
      expect(fromPull.layers.map((l) => l.outcome)).toEqual(fromPull.layers.map(() => ({ kind: 'mounted', from: 'mount-b/app' })));
    });

    it('sends a large blob in chunks, no smaller than the OCI-Chunk-Min-Length the registry asks for', async () => {
      const big = Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 7919) % 251));
      await makeLayeredImage(store, 'hafen-test/big:1', [{ 'big.bin': big }]);
      const image = store.images.get('hafen-test/big:1')!;
      const { fetch, seen } = recordingFetch(async (req, real) => {
        const res = await real();
        if (req.method !== 'POST' || !req.url.pathname.endsWith('/blobs/uploads/')) return res;
        const headers = new Headers(res.headers);
        headers.set('oci-chunk-min-length', '8192');
        return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
      });
      const { onEvent, layers } = collect();
      const pushed = await pushToRegistry(store, 'hafen-test/big:1', `${registry.host}/chunked/big:1`, { fetch, onEvent, chunkSize: 1000 });
      expect(pushed.digest).toBe(image.manifestDigest);
      // The busybox layer was pushed before and is mounted; the big one is new.
      const bigLayer = layers.find((l) => l.digest === image.manifest.layers.at(-1)!.digest)!;
      expect(bigLayer.outcome).toEqual({ kind: 'pushed', chunks: Math.ceil(bigLayer.size / 8192) });
      const patches = seen.filter((s) => s.method === 'PATCH');
      expect(patches).toHaveLength(bigLayer.outcome.kind === 'pushed' ? bigLayer.outcome.chunks : -1);
      for (const p of patches) {
        const [start, end] = p.headers['content-range']!.split('-').map(Number);
        expect(Number(p.headers['content-length'])).toBe(end! - start! + 1);
      }
      expect(patches.slice(0, -1).every((p) => p.headers['content-length'] === '8192')).toBe(true); // only the last chunk is shorter
      expect(servedDigest(`${registry.host}/chunked/big:1`)).toBe(image.manifestDigest);
    });

    it('goes on with a chunked upload where the registry has it when a chunk fails', async () => {
      let patches = 0;
      const { fetch, seen } = recordingFetch((req, real) => (req.method === 'PATCH' && ++patches === 2 ? new Response('busy', { status: 503 }) : real()));
      // A store of its own: nothing to mount from, every blob goes up.
      const own = openStore(fs.mkdtempSync(path.join(base, 'retry-')));
      await makeLayeredImage(own, 'hafen-test/retry:1', [{ 'r.txt': `retry ${process.pid}\n` }]);
      const pushed = await pushToRegistry(own, 'hafen-test/retry:1', `${registry.host}/retried/app:1`, { fetch, chunkSize: 256 << 10, concurrency: 1, ...noWait });
      // The upload's status asked once, no upload started twice: one POST per blob.
      expect(seen.filter((s) => s.method === 'GET' && s.path.includes('/blobs/uploads/'))).toHaveLength(1);
      expect(seen.filter((s) => s.method === 'POST')).toHaveLength(3);
      expect(servedDigest(`${registry.host}/retried/app:1`)).toBe(pushed.digest);
    });

    it('stops when its signal fires, pushing no manifest', async () => {
      const stop = new AbortController();
      const { fetch, seen } = recordingFetch((req, real) => {
        if (req.method === 'PATCH') stop.abort(new Error('interrupted'));
        return real();
      });
      const own = openStore(fs.mkdtempSync(path.join(base, 'abort-')));
      await makeLayeredImage(own, 'hafen-test/abort:1', [{ 'a.txt': `abort ${process.pid}\n` }]);
      await expect(pushToRegistry(own, 'hafen-test/abort:1', `${registry.host}/aborted/app:1`, { fetch, chunkSize: 64 << 10, signal: stop.signal, ...noWait })).rejects.toThrow();
      expect(seen.some((s) => s.method === 'PATCH')).toBe(true);
      expect(seen.filter((s) => s.path.includes('/manifests/'))).toEqual([]);
      expect(() => servedDigest(`${registry.host}/aborted/app:1`)).toThrow();
    });

    it('refuses a blob whose copy in the store is damaged, pushing no manifest', async () => {
      // A pulled image keeps its gzip layers as files (a built one's are rebuilt from skeletons, and checked there).
      await makeLayeredImage(store, 'hafen-test/damaged:1', [{ 'damaged.txt': `only here ${process.pid} ${Date.now()}\n` }]);
      await skopeoCopy(`docker-archive:${await saveArchive(store, 'hafen-test/damaged:1', path.join(base, 'damaged.tar'))}`, `docker://${registry.host}/damaged-src/app:1`);
      const damaged = openStore(fs.mkdtempSync(path.join(base, 'damaged-')));
      const { image } = await pullFromRegistry(damaged, `${registry.host}/damaged-src/app:1`);
      // Its last layer is its own, so skopeo compressed it on the way (a blob the registry had is reused as it is).
      const layer = image.manifest.layers.at(-1)!;
      const file = damaged.blobs.path(layer.digest);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
      fs.writeFileSync(file, bytes);
      // Forget where the blobs came from, so the push has to send them.
      fs.rmSync(path.join(damaged.paths.root, 'images/blob-sources'), { recursive: true, force: true });
      const err = (await pushToRegistry(damaged, `${registry.host}/damaged-src/app:1`, `${registry.host}/damaged/app:1`, noWait).catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toBe(`image ${registry.host}/damaged/app:1: blob ${layer.digest}: the store's copy is damaged (its bytes hash to ${sha256(bytes)}); nothing was pushed for it`);
      expect(() => servedDigest(`${registry.host}/damaged/app:1`)).toThrow();
    });

    it('says in one line that a registry is not there', async () => {
      const host = `127.0.0.1:${await freePort()}`;
      const err = (await pushToRegistry(store, 'hafen-test/app:1', `${host}/none/app:1`, noWait).catch((e: unknown) => e)) as RegistryError;
      expect(err.reason).toBe('unavailable');
      expect(err.message).toMatch(new RegExp(`^image ${host}/none/app:1: cannot reach http://${host}/v2/: .*ECONNREFUSED`));
      expect(err.message).not.toContain('\n');
    });

    it('refuses a digest as the target and an image the store lacks', async () => {
      await expect(pushToRegistry(store, 'hafen-test/app:1', `${registry.host}/x/app@sha256:${'0'.repeat(64)}`)).rejects.toThrow('a push names a tag, not a digest');
      await expect(pushToRegistry(store, 'hafen-test/nothing:1', `${registry.host}/x/app:1`)).rejects.toThrow('image hafen-test/nothing:1: is not in the store');
    });

    describe('behind basic auth', () => {
      let secured: TestRegistry;
      const withCredentials = (user: string, password: string): PushOptions => {
        const dir = fs.mkdtempSync(path.join(base, 'docker-config-'));
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
        return { env: { ...process.env, DOCKER_CONFIG: dir } };
      };
      beforeAll(async () => {
        secured = await startRegistry(path.join(base, 'basic'), { kind: 'htpasswd', user: 'alice', password: 'wonder land' });
        stops.push(secured.stop);
      }, 60_000);

      it('pushes with the credentials of config.json', async () => {
        const pushed = await pushToRegistry(store, 'hafen-test/app:1', `${secured.host}/basic/app:1`, withCredentials('alice', 'wonder land'));
        expect(servedDigest(`${secured.host}/basic/app:1`, 'alice:wonder land')).toBe(pushed.digest);
      });

      it('says in one line whose credentials were refused, never the password', async () => {
        const err = (await pushToRegistry(store, 'hafen-test/app:1', `${secured.host}/basic/app:2`, withCredentials('alice', 's3cret-pa55')).catch((e: unknown) => e)) as RegistryError;
        expect(err.reason).toBe('unauthorized');
        expect(err.message).toMatch(new RegExp(`^image ${secured.host}/basic/app:2: ${secured.host} refused the credentials of user alice \\(from .*config.json\\) \\(401 Unauthorized`));
        expect(err.message).not.toContain('s3cret');
        expect(err.message).not.toContain(Buffer.from('alice:s3cret-pa55').toString('base64'));
        expect(err.message).not.toContain('\n');
        const anonymous = (await pushToRegistry(store, 'hafen-test/app:1', `${secured.host}/basic/app:2`, { env: { ...process.env, DOCKER_CONFIG: path.join(base, 'nowhere') } }).catch((e: unknown) => e)) as RegistryError;
        expect(anonymous.message).toContain(`push access denied: ${secured.host}/basic/app does not exist or needs credentials; log in with \`docker login ${secured.host}\``);
      });
    });

    describe('behind token auth', () => {
      let tokens: TokenServer;
      let secured: TestRegistry;
      const bob = { credentials: () => ({ username: 'bob', password: 'builder', source: 'test' }) };
      beforeAll(async () => {
        tokens = await startTokenServer(path.join(base, 'tokens'), 'bob', 'builder');
        stops.push(tokens.stop);
        secured = await startRegistry(path.join(base, 'token'), { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile });
        stops.push(secured.stop);
      }, 60_000);

      it('asks for a push token, and for pull on the repository a blob is mounted from', async () => {
        tokens.requests.length = 0;
        await pushToRegistry(store, 'hafen-test/app:1', `${secured.host}/token/one:1`, bob);
        expect(tokens.requests.map((r) => r.scope)).toEqual(['repository:token/one:pull,push']);
        tokens.requests.length = 0;
        const { onEvent, layers } = collect();
        const pushed = await pushToRegistry(store, 'hafen-test/app:1', `${secured.host}/token/two:1`, { ...bob, onEvent });
        expect(layers.map((l) => l.outcome)).toEqual(layers.map(() => ({ kind: 'mounted', from: 'token/one' })));
        // The mount's 401 asked for pull on the source too; the token was fetched again with both.
        expect(tokens.requests.some((r) => r.scope.split(' ').includes('repository:token/two:pull,push') && r.scope.split(' ').includes('repository:token/one:pull'))).toBe(true);
        expect(tokens.requests.every((r) => r.user === 'bob')).toBe(true);
        expect(pushed.digest).toBe(store.images.get('hafen-test/app:1')!.manifestDigest);
      });

      it('refuses wrong credentials in one line, naming the token service', async () => {
        const err = (await pushToRegistry(store, 'hafen-test/app:1', `${secured.host}/token/three:1`, { credentials: () => ({ username: 'bob', password: 'not-it', source: 'test' }) }).catch((e: unknown) => e)) as RegistryError;
        expect(err.reason).toBe('unauthorized');
        expect(err.message).toContain('refused the credentials of user bob');
        expect(err.message).not.toContain('not-it');
        expect(err.message).not.toContain('\n');
      });
    });
  },
);

