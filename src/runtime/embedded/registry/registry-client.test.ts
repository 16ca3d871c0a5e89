import { describe, expect, it } from 'vitest';
import { sha256 } from '../layers/index.js';
import { parseReference } from './reference.js';
import { RegistryClient } from './registry-client.js';

const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });

/** A fake registry: answers by URL, recording each request's URL and Authorization header. */
function fakeFetch(answer: (url: URL) => Response | Error) {
  const seen: { url: string; auth: string | undefined }[] = [];
  const fetch: typeof globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    seen.push({ url: url.href, auth: (init?.headers as Record<string, string> | undefined)?.authorization });
    const a = answer(url);
    if (a instanceof Error) throw a;
    return a;
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

const client = (ref: string, fetch: typeof globalThis.fetch, env: NodeJS.ProcessEnv = {}) =>
  new RegistryClient(parseReference(ref), ref, { fetch, env, credentials: () => ({ username: 'u', password: 'p', source: 'test' }), retry: { sleep: async () => {}, attempts: 2 } });

describe('RegistryClient', () => {
  it('uses only https for a registry that is neither loopback nor listed as insecure', async () => {
    const { fetch, seen } = fakeFetch(() => refused());
    await expect(client('reg.example.com:5000/app:1', fetch).manifest('1')).rejects.toThrow('image reg.example.com:5000/app:1: cannot reach https://reg.example.com:5000/v2/');
    expect(new Set(seen.map((s) => new URL(s.url).protocol))).toEqual(new Set(['https:']));
  });

  it('falls back to http for a host in HAFEN_INSECURE_REGISTRIES', async () => {
    const { fetch, seen } = fakeFetch((url) => (url.protocol === 'https:' ? refused() : url.pathname === '/v2/' ? new Response('{}') : new Response('', { status: 404 })));
    await expect(client('reg.example.com:5000/app:1', fetch, { HAFEN_INSECURE_REGISTRIES: 'reg.example.com' }).manifest('1')).rejects.toThrow('no tag "1"');
    expect(seen.map((s) => s.url)).toEqual(['https://reg.example.com:5000/v2/', 'http://reg.example.com:5000/v2/', 'http://reg.example.com:5000/v2/app/manifests/1']);
  });

  it('sends basic credentials after the challenge, never to the origin a blob is redirected to', async () => {
    const blob = Buffer.from('layer bytes');
    const { fetch, seen } = fakeFetch((url) => {
      if (url.host === 'cdn.example.com') return new Response(blob);
      if (url.pathname === '/v2/') return new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } });
      return new Response('', { status: 307, headers: { location: 'https://cdn.example.com/blob?sig=1' } });
    });
    const { stream } = await client('reg.example.com/app:1', fetch).blob(sha256(blob));
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(blob);
    expect(seen.map((s) => [new URL(s.url).host, s.auth])).toEqual([
      ['reg.example.com', undefined],
      ['reg.example.com', `Basic ${Buffer.from('u:p').toString('base64')}`],
      ['cdn.example.com', undefined],
    ]);
  });

  it('refuses a manifest whose bytes do not hash to the digest asked for', async () => {
    const { fetch } = fakeFetch((url) => (url.pathname === '/v2/' ? new Response('{}') : new Response('{"schemaVersion":2}')));
    const digest = sha256('something else');
    await expect(client('reg.example.com/app:1', fetch).manifest(digest)).rejects.toThrow(`image reg.example.com/app:1: the manifest for ${digest} does not match its digest`);
  });
});
