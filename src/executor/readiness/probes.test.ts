import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../runtime/runtime.js';
import { defaultResolveEndpoint, publishedPortEndpoint } from './endpoint.js';
import { httpGet, logProbeSince, tcpConnect } from './probes.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(server: net.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  servers.splice(servers.indexOf(s), 1);
  return port;
}

const signal = new AbortController().signal;

describe('tcp probe', () => {
  it('passes when a connection opens, and says why not otherwise', async () => {
    const port = await listen(net.createServer((c) => c.end()));
    expect(await tcpConnect('127.0.0.1', port, signal)).toMatchObject({ status: 'ok' });
    const closed = await closedPort();
    expect(await tcpConnect('127.0.0.1', closed, signal)).toEqual({ status: 'pending', detail: `127.0.0.1:${closed}: ECONNREFUSED` });
  });
});

describe('http probe', () => {
  it('passes on the expected status only', async () => {
    const port = await listen(
      http.createServer((req, res) => {
        res.statusCode = req.url === '/health' ? 200 : 503;
        res.end();
      }),
    );
    expect(await httpGet('127.0.0.1', port, '/health', 200, signal)).toEqual({ status: 'ok', detail: 'HTTP 200' });
    expect(await httpGet('127.0.0.1', port, '/other', 200, signal)).toEqual({ status: 'pending', detail: 'HTTP 503, want 200' });
    expect(await httpGet('127.0.0.1', port, '/other', 503, signal)).toMatchObject({ status: 'ok' });
  });
});

describe('endpoints', () => {
  const info = (over: Partial<ContainerInfo>): ContainerInfo => ({
    id: 'x', name: 'shop-db-1', image: 'host', labels: {}, state: 'running', health: 'none', oomKilled: false,
    createdAt: '', ports: [], addresses: {}, host: 'embedded', ...over,
  });

  it('prefers the container address, then the published port', () => {
    const ports = [{ target: 5432, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 15432 }];
    expect(defaultResolveEndpoint(info({ addresses: { shop_default: '10.0.0.2' }, ports }), 5432)).toEqual({ host: '10.0.0.2', port: 5432 });
    expect(defaultResolveEndpoint(info({ ports }), 5432)).toEqual({ host: '127.0.0.1', port: 15432 });
    expect(publishedPortEndpoint(info({ addresses: { shop_default: '10.0.0.2' }, ports }), 5432)).toEqual({ host: '127.0.0.1', port: 15432 });
    expect(defaultResolveEndpoint(info({}), 5432)).toBeUndefined();
  });
});

describe('logProbeSince', () => {
  it('reads from a second before the start, where an engine may stamp the first lines', () => {
    expect(logProbeSince({ startedAt: '2026-12-05T10:00:00.500Z' })).toBe('2026-12-05T09:59:59.500Z');
  });
  it('never reaches back into the previous run of a restarted container', () => {
    expect(logProbeSince({ startedAt: '2026-12-05T10:00:00.500Z', finishedAt: '2026-12-05T10:00:00.200Z' })).toBe('2026-12-05T10:00:00.201Z');
    expect(logProbeSince({ startedAt: '2026-12-05T10:00:00.500Z', finishedAt: '2026-12-05T09:00:00.000Z' })).toBe('2026-12-05T09:59:59.500Z');
  });
  it('reads everything when no start is known', () => {
    expect(logProbeSince({})).toBeUndefined();
  });
});
