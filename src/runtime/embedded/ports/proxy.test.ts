/** The port proxies over loopback: a local server stands in for the container. */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PublishError, startProxy, type Proxy, type ProxySpec } from './proxy.js';
import { ProxySet } from './proxy-set.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server that answers `echo:<all the client sent>` once the client has half-closed. */
async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => s.end(`echo:${Buffer.concat(chunks).toString()}`));
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return (server.address() as net.AddressInfo).port;
}

/** Sends `text`, half-closes, and reads until the other side closes: the reply, or the error code. */
function tcpExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    s.on('connect', () => s.end(text));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function spec(targetPort: number, extra: Partial<ProxySpec> = {}): ProxySpec {
  return { service: 'api', container: 'shop-api-1', protocol: 'tcp', targetIp: '127.0.0.1', targetPort, ...extra };
}

async function started(s: ProxySpec, options = {}): Promise<Proxy> {
  const p = await startProxy(s, options);
  cleanups.push(() => p.close());
  return p;
}

async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('TCP proxy', () => {
  it('forwards both ways on a free port of 127.0.0.1, passing half-close on', async () => {
    const target = await echoServer();
    const p = await started(spec(target));
    expect(p.hostIp).toBe('127.0.0.1');
    expect(p.hostPort).toBeGreaterThan(0);
    expect(p.hostPort).not.toBe(target);
    const big = 'x'.repeat(3_000_000);
    const [a, b] = await Promise.all([tcpExchange(p.hostPort, 'hello'), tcpExchange(p.hostPort, big)]);
    expect(a).toBe('echo:hello');
    expect(b).toBe(`echo:${big}`);
    await eventually(() => p.active() === 0);
  });

  it('resets the client when the container refuses, and keeps serving', async () => {
    const closed = await echoServer();
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const dead = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const problems: string[] = [];
    const p = await started(spec(dead), { log: (m: string) => problems.push(m) });
    expect(await tcpExchange(p.hostPort, 'hello')).toBe('ECONNRESET');
    expect(problems.join('\n')).toMatch(/api 127\.0\.0\.1:\d+\/tcp: connecting to container: connect ECONNREFUSED/);
    const q = await started(spec(closed));
    expect(await tcpExchange(q.hostPort, 'again')).toBe('echo:again');
    expect(await tcpExchange(p.hostPort, 'hello')).toBe('ECONNRESET');
  });

  it('names the service, address and port when the port is taken', async () => {
    const target = await echoServer();
    const p = await started(spec(target, { hostPort: 0 }));
    const err = await startProxy(spec(target, { service: 'web', hostPort: p.hostPort })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).message).toBe(
      `service web: cannot publish 127.0.0.1:${p.hostPort}/tcp (container port ${target}): port ${p.hostPort} is already in use on 127.0.0.1; stop what uses it or publish another port`,
    );
    expect((err as PublishError).reason).toBe('EADDRINUSE');
    const notMine = await startProxy(spec(target, { hostIp: '192.0.2.123' })).catch((e: unknown) => e);
    expect((notMine as Error).message).toMatch(/^service api: cannot publish 192\.0\.2\.123:0\/tcp .*192\.0\.2\.123 is not an address of this host$/);
  });

  it('drops open connections when closed', async () => {
    const server = net.createServer((s) => s.on('error', () => {})); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const p = await startProxy(spec((server.address() as net.AddressInfo).port));
    const client = net.connect(p.hostPort, '127.0.0.1');
    const ended = new Promise((r) => client.on('close', r));
    client.on('error', () => {});
    await eventually(() => p.active() === 1);
    await p.close();
    await ended;
    await p.close(); // twice is fine
  });
});

describe('UDP proxy', () => {
  async function udpEcho(): Promise<number> {
    const s = dgram.createSocket('udp4');
    s.on('message', (m, r) => s.send(`echo:${m.toString()}`, r.port, r.address));
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
    return s.address().port;
  }

  /** Sends `text` from `client` (a fresh socket when absent) and waits for one answer. */
  async function udpExchange(port: number, text: string, client?: dgram.Socket): Promise<string> {
    const s = client ?? dgram.createSocket('udp4');
    try {
      return await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), 1000);
        s.once('message', (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        s.send(text, port, '127.0.0.1');
      });
    } finally {
      if (!client) s.close();
    }
  }

  it('forwards datagrams and answers each client, forgetting idle ones', async () => {
    const p = await started(spec(await udpEcho(), { protocol: 'udp' }), { udpIdleMs: 100 });
    expect(p.protocol).toBe('udp');
    const one = dgram.createSocket('udp4');
    cleanups.push(() => {
      one.close();
    });
    expect(await udpExchange(p.hostPort, 'a', one)).toBe('echo:a');
    expect(await udpExchange(p.hostPort, 'b')).toBe('echo:b');
    expect(p.active()).toBe(2);
    expect(await udpExchange(p.hostPort, 'c', one)).toBe('echo:c');
    await eventually(() => p.active() === 0);
    expect(await udpExchange(p.hostPort, 'd', one)).toBe('echo:d');
  });

  it('names the service when the port is taken', async () => {
    const p = await started(spec(await udpEcho(), { protocol: 'udp' }));
    await expect(startProxy(spec(1, { protocol: 'udp', hostPort: p.hostPort, service: 'dns' }))).rejects.toThrow(
      `service dns: cannot publish 127.0.0.1:${p.hostPort}/udp (container port 1): port ${p.hostPort} is already in use on 127.0.0.1`,
    );
  });
});

describe('ProxySet', () => {
  it('starts, lists, finds and stops the ports of a project, all or none', async () => {
    const target = await echoServer();
    const set = new ProxySet('shop');
    cleanups.push(() => set.stop());
    const api1 = await set.start([spec(target), spec(target, { protocol: 'udp' })]);
    await set.start([spec(target, { container: 'shop-api-2' })]);
    const [web] = await set.start([spec(target, { service: 'web', container: 'shop-web-1' })]);
    expect(set.list().map((p) => `${p.service} ${p.container} ${p.protocol} ${p.target}`)).toEqual([
      `api shop-api-1 tcp ${target}`,
      `api shop-api-1 udp ${target}`,
      `api shop-api-2 tcp ${target}`,
      `web shop-web-1 tcp ${target}`,
    ]);
    expect(set.port('api', target)).toEqual(api1[0]);
    expect(set.port('api', target, 'tcp', 2)?.container).toBe('shop-api-2');
    expect(await tcpExchange(set.port('api', target, 'tcp', 2)!.hostPort, 'hi')).toBe('echo:hi');

    // A clash inside the set names the other service; what this call started is stopped again.
    const before = set.list().length;
    await expect(set.start([spec(target, { service: 'db', container: 'shop-db-1' }), spec(target, { service: 'db', container: 'shop-db-1', hostPort: web!.hostPort })])).rejects.toThrow(
      `service db: cannot publish 127.0.0.1:${web!.hostPort}/tcp: service web (shop-web-1) publishes it already`,
    );
    expect(set.list()).toHaveLength(before);

    await set.stop('shop-api-1');
    expect(set.list({ service: 'api' }).map((p) => p.container)).toEqual(['shop-api-2']);
    expect(await tcpExchange(api1[0]!.hostPort, 'x')).toBe('ECONNREFUSED');
    await set[Symbol.asyncDispose]();
    expect(set.list()).toEqual([]);
  });
});
