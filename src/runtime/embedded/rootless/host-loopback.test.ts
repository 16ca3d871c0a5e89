/** The host-loopback fetch carries a request body as it is given: bytes at once, or a stream an upload writes as it reads. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostLoopbackFetch } from './host-loopback.js';
import { HOST_LOOPBACK_ENV, startHostLoopbackRelay, type HostLoopbackRelay } from './host-loopback-relay.js';

describe('hostLoopbackFetch', () => {
  let dir: string;
  let relay: HostLoopbackRelay;
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-loopback-'));
    relay = await startHostLoopbackRelay(dir);
    // Answers each request with the number of body bytes it got.
    server = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.writeHead(201, { 'x-method': req.method ?? '' }).end(String(n)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as import('node:net').AddressInfo).port;
  });
  afterAll(async () => {
    relay.close();
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a Buffer body and a streamed one (an upload) whole', async () => {
    const fetch = hostLoopbackFetch({ [HOST_LOOPBACK_ENV]: relay.socket })!;
    const whole = await fetch(`http://127.0.0.1:${port}/a`, { method: 'PATCH', body: Buffer.alloc(1000) });
    expect([whole.status, await whole.text()]).toEqual([201, '1000']);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 50; i++) yield Buffer.alloc(64 << 10, i);
    }
    const streamed = await fetch(`http://127.0.0.1:${port}/b`, { method: 'PUT', headers: { 'content-length': String(50 * (64 << 10)) }, body: pieces() as unknown as RequestInit['body'], duplex: 'half' } as RequestInit);
    expect([streamed.status, streamed.headers.get('x-method'), await streamed.text()]).toEqual([201, 'PUT', String(50 * (64 << 10))]);
  });
});
