/**
 * The host's loopback for a command inside a user's namespaces (issue 17). The holder has a network
 * namespace of its own, whose 127.0.0.1 is not the host's, and its outbound network (slirp4netns)
 * reaches the host's loopback only as 10.0.2.2, and only while a keeper runs. A registry on the host's
 * loopback (`127.0.0.1:5000/app`, a common local registry) is still the user's to pull from, as
 * rootless Podman pulls in the host's network: the command's outer process, which waits in the
 * host's network namespace while the command runs inside, relays connections to the host's
 * loopback addresses only, through a unix socket in the user's runtime folder (mode 0600), named
 * to the command inside by HAFEN_HOST_LOOPBACK (host-loopback-relay.ts). Registry pulls there use
 * `hostLoopbackFetch`.
 *
 *   inside: connect(socket) → "HOST PORT\n" → "ok\n" | "error CODE\n" → the TCP stream, as is
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import tls from 'node:tls';

import { HOST_LOOPBACK_ENV, isLoopbackHost } from './host-loopback-relay.js';

/** A connection to `host:port` of the host's loopback through the relay at `socket`. */
function relayConnect(socket: string, host: string, port: number, done: (err: Error | null, s?: net.Socket) => void): void {
  const conn = net.connect(socket);
  let reply = '';
  const fail = (code: string): void => {
    conn.destroy();
    done(Object.assign(new Error(`connect ${code} ${host}:${port} (through the host's loopback relay)`), { code }));
  };
  conn.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'ECONNREFUSED'));
  conn.write(`${host} ${port}\n`);
  const onData = (chunk: Buffer): void => {
    reply += chunk.toString('latin1');
    const end = reply.indexOf('\n');
    if (end < 0) return;
    conn.off('data', onData);
    conn.removeAllListeners('error');
    const line = reply.slice(0, end);
    if (line !== 'ok') return fail(line.replace(/^error /, '') || 'ECONNRESET');
    // A server that speaks first (a greeting) may have come in the same chunk as the reply.
    const rest = Buffer.from(reply.slice(end + 1), 'latin1');
    if (rest.length > 0) conn.unshift(rest);
    done(null, conn);
  };
  conn.on('data', onData);
}

/**
 * Inside the user's namespaces with a relay named (HAFEN_HOST_LOOPBACK): a connection to `port` on
 * the host's 127.0.0.1 through it (a cross-ship relay's way out, src/remote/ship-relay.ts).
 * Undefined elsewhere: connect directly there.
 */
export function hostLoopbackSocket(port: number, env: NodeJS.ProcessEnv = process.env): Promise<net.Socket> | undefined {
  const socket = env[HOST_LOOPBACK_ENV];
  if (!socket) return undefined;
  return new Promise((resolve, reject) => relayConnect(socket, '127.0.0.1', port, (err, s) => (err ? reject(err) : resolve(s!))));
}

/**
 * Inside the user's namespaces with a relay named (HAFEN_HOST_LOOPBACK): a fetch that reaches the
 * host's loopback addresses through it (http and https; no redirect followed, as the registry
 * client asks) and everything else as `fetch` does. Undefined elsewhere.
 */
export function hostLoopbackFetch(env: NodeJS.ProcessEnv = process.env): typeof fetch | undefined {
  const socket = env[HOST_LOOPBACK_ENV];
  if (!socket) return undefined;
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!isLoopbackHost(url.hostname)) return globalThis.fetch(input, init);
    const secure = url.protocol === 'https:';
    const port = Number(url.port || (secure ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    return new Promise<Response>((resolve, reject) => {
      const createConnection = (_: unknown, oncreate: (err: Error | null, s?: net.Socket) => void): undefined => {
        relayConnect(socket, host, port, (err, conn) => {
          if (err || !conn) return oncreate(err ?? new Error('no connection'));
          oncreate(null, secure ? tls.connect({ socket: conn, servername: net.isIP(host) ? undefined : host }) : conn);
        });
        return undefined;
      };
      const req = (secure ? https : http).request(url, { method: init?.method ?? 'GET', headers, createConnection, ...(init?.signal ? { signal: init.signal } : {}) } as http.RequestOptions, (res) => {
        const status = res.statusCode ?? 502;
        const resHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) resHeaders.append(k, one);
        const empty = status === 204 || status === 304 || init?.method === 'HEAD';
        if (empty) res.resume();
        resolve(new Response(empty ? null : (Readable.toWeb(res) as unknown as WebReadableStream as unknown as ReadableStream), { status, statusText: res.statusMessage ?? '', headers: resHeaders }));
      });
      req.on('error', (err) => reject(err.name === 'AbortError' ? err : new TypeError('fetch failed', { cause: err })));
      // A push's body streams (issue 18): an async iterable of bytes, written as the socket takes it.
      const body = init?.body as unknown;
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
      else {
        void (async () => {
          for await (const chunk of body as AsyncIterable<Uint8Array>) if (!req.write(chunk)) await once(req, 'drain');
          req.end();
        })().catch((err: Error) => req.destroy(err));
      }
    });
  }) as typeof fetch;
}
