/** What a push does with a registry's answers the real one does not give: a wrong digest, a failed mount, an upload elsewhere. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../layers/index.js';
import { MediaType, openStore } from '../store/index.js';
import { parseReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';
import { uploadBlob } from './upload-blob.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-upload-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
const store = openStore(base);
const bytes = Buffer.from('a blob of bytes\n'.repeat(100));
const blob = store.blobs.putBytes(bytes);
const descriptor = { mediaType: MediaType.layer, digest: blob.digest, size: blob.size };

type Seen = { method: string; url: string; auth: string | undefined; length: number };

/** A registry as a function of (method, URL) → answer; every request recorded, its body read. */
function fakeRegistry(answer: (method: string, url: URL) => Response) {
  const seen: Seen[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = init?.method ?? 'GET';
    let length = 0;
    if (init?.body) for await (const c of init.body as AsyncIterable<Uint8Array>) length += c.length;
    seen.push({ method, url: url.href, auth: (init?.headers as Record<string, string>).authorization, length });
    return url.pathname === '/v2/' ? new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }) : answer(method, url);
  }) as typeof globalThis.fetch;
  const client = new RegistryClient(parseReference('reg.example.com/team/app:1'), 'reg.example.com/team/app:1', {
    fetch,
    credentials: () => ({ username: 'u', password: 'p', source: 'test' }),
    retry: { sleep: async () => {}, attempts: 2 },
    actions: 'pull,push',
  });
  return { client, seen };
}

const options = (mountFrom: string[] = []) => ({ path: 'team/app', chunkSize: 1 << 20, mountFrom });

describe('uploadBlob', () => {
  it('refuses an upload the registry states another digest for', async () => {
    const { client } = fakeRegistry((method, url) => {
      if (method === 'HEAD') return new Response(null, { status: 404 });
      if (method === 'POST') return new Response(null, { status: 202, headers: { location: '/v2/team/app/blobs/uploads/1?_state=x' } });
      expect(url.searchParams.get('_state')).toBe('x');
      return new Response(null, { status: 201, headers: { 'docker-content-digest': sha256('something else') } });
    });
    const err = (await uploadBlob(store, client, descriptor, options()).catch((e: unknown) => e)) as RegistryError;
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.reason).toBe('digest-mismatch');
    expect(err.message).toBe(`image reg.example.com/team/app:1: the upload of blob ${blob.digest}: the registry states digest ${sha256('something else')}; refused`);
  });

  it('uploads into the session a failed mount opened, after dropping the ones before it', async () => {
    const { client, seen } = fakeRegistry((method, url) => {
      if (method === 'HEAD') return new Response(null, { status: 404 });
      if (method === 'POST') return new Response(null, { status: 202, headers: { location: `/v2/team/app/blobs/uploads/${url.searchParams.get('from')!.replace('/', '-')}` } });
      if (method === 'DELETE') return new Response(null, { status: 204 });
      return new Response(null, { status: 201, headers: { 'docker-content-digest': blob.digest } });
    });
    expect(await uploadBlob(store, client, descriptor, options(['a/app', 'b/app']))).toEqual({ kind: 'pushed', chunks: 0 });
    expect(seen.filter((s) => !s.url.endsWith('/v2/')).map((s) => `${s.method} ${new URL(s.url).pathname}${new URL(s.url).search}`)).toEqual([
      `HEAD /v2/team/app/blobs/${blob.digest}`,
      `POST /v2/team/app/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=a%2Fapp`,
      `POST /v2/team/app/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=b%2Fapp`,
      'DELETE /v2/team/app/blobs/uploads/a-app',
      `PUT /v2/team/app/blobs/uploads/b-app?digest=${encodeURIComponent(blob.digest)}`,
    ]);
    expect(seen.at(-1)!.length).toBe(blob.size);
  });

  it('sends no credentials to an upload location on another origin', async () => {
    const { client, seen } = fakeRegistry((method) => {
      if (method === 'HEAD') return new Response(null, { status: 404 });
      if (method === 'POST') return new Response(null, { status: 202, headers: { location: 'https://storage.example.net/upload/1' } });
      return new Response(null, { status: 201, headers: { 'docker-content-digest': blob.digest } });
    });
    await uploadBlob(store, client, descriptor, options());
    expect(seen.filter((s) => !s.url.endsWith('/v2/')).map((s) => [new URL(s.url).host, s.auth !== undefined])).toEqual([
      ['reg.example.com', true],
      ['reg.example.com', true],
      ['storage.example.net', false],
    ]);
  });

  it('refuses a chunk the registry did not take whole', async () => {
    const { client } = fakeRegistry((method) => {
      if (method === 'HEAD') return new Response(null, { status: 404 });
      if (method === 'POST') return new Response(null, { status: 202, headers: { location: '/v2/team/app/blobs/uploads/1' } });
      return new Response(null, { status: 202, headers: { location: '/v2/team/app/blobs/uploads/1', range: '0-99' } });
    });
    await expect(uploadBlob(store, client, descriptor, { ...options(), chunkSize: 1000 })).rejects.toThrow(`chunk 0-999 of blob ${blob.digest}: the registry has 0-99`);
  });

  it('sends the rest of a chunk the registry took part of before the connection broke', async () => {
    let patches = 0;
    const { client, seen } = fakeRegistry((method) => {
      if (method === 'HEAD') return new Response(null, { status: 404 });
      if (method === 'POST') return new Response(null, { status: 202, headers: { location: '/v2/team/app/blobs/uploads/1' } });
      if (method === 'GET') return new Response(null, { status: 204, headers: { location: '/v2/team/app/blobs/uploads/1?after=status', range: '0-1199' } });
      if (method === 'PATCH' && ++patches === 2) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
      if (method === 'PATCH') return new Response(null, { status: 202, headers: { location: '/v2/team/app/blobs/uploads/1' } });
      return new Response(null, { status: 201, headers: { 'docker-content-digest': blob.digest } });
    });
    expect(await uploadBlob(store, client, descriptor, { ...options(), chunkSize: 1000 })).toEqual({ kind: 'pushed', chunks: 2 });
    const sent = seen.filter((s) => s.method === 'PATCH' || (s.method === 'GET' && !s.url.endsWith('/v2/'))).map((s) => `${s.method} ${new URL(s.url).search} ${s.length}`);
    expect(sent).toEqual(['PATCH  1000', 'PATCH  600', 'GET  0', 'PATCH ?after=status 400']);
  });
});
