/**
 * The UDP side of a published port. Each client (source address and port) gets its own socket
 * towards the container, so the container's answers find their way back to the client they belong
 * to; a client's socket is closed after a while without traffic either way (90 s, as docker-proxy).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { listenAddress, PublishError, type Proxy, type ProxyOptions, type ProxySpec } from './proxy-spec.js';

const DEFAULT_IDLE_MS = 90_000;

interface Client {
  upstream: dgram.Socket;
  idle: NodeJS.Timeout;
}

/** Listens on the spec's host address and port and forwards datagrams to and from the container. */
export function startUdpProxy(spec: ProxySpec, options: ProxyOptions): Promise<Proxy> {
  const hostIp = listenAddress(spec);
  const idleMs = options.udpIdleMs ?? DEFAULT_IDLE_MS;
  const log = options.log ?? (() => {});
  const type = (address: string): 'udp4' | 'udp6' => (net.isIPv6(address) ? 'udp6' : 'udp4');
  const server = dgram.createSocket({ type: type(hostIp) });
  const clients = new Map<string, Client>();
  let port = 0;
  const problem = (m: string): void => log(`${spec.service} ${hostIp}:${port}/udp: ${m}`);

  const drop = (key: string): void => {
    const c = clients.get(key);
    if (!c) return;
    clients.delete(key);
    clearTimeout(c.idle);
    c.upstream.close();
  };

  const clientFor = (address: string, clientPort: number): Client => {
    const key = `${address}|${clientPort}`;
    const known = clients.get(key);
    if (known) return known;
    const upstream = dgram.createSocket({ type: type(spec.targetIp) });
    const c: Client = { upstream, idle: setTimeout(() => drop(key), idleMs).unref() };
    upstream.on('message', (msg, from) => {
      // Only the container's answers go back; anything else reaching this socket is dropped.
      if (from.address !== spec.targetIp || from.port !== spec.targetPort) return;
      c.idle.refresh();
      server.send(msg, clientPort, address, (err) => err && problem(`to client ${address}:${clientPort}: ${err.message}`));
    });
    upstream.on('error', (err) => {
      problem(`towards the container for ${address}:${clientPort}: ${err.message}`);
      drop(key);
    });
    clients.set(key, c);
    return c;
  };

  server.on('message', (msg, from) => {
    const c = clientFor(from.address, from.port);
    c.idle.refresh();
    c.upstream.send(msg, spec.targetPort, spec.targetIp, (err) => err && problem(`to the container: ${err.message}`));
  });

  let closing: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException): void => {
      server.close();
      reject(new PublishError(spec, err));
    };
    server.once('error', onBindError);
    server.bind({ address: hostIp, port: spec.hostPort ?? 0, exclusive: true }, () => {
      server.off('error', onBindError);
      server.on('error', (err) => problem(err.message));
      port = server.address().port;
      resolve({
        spec,
        protocol: 'udp',
        hostIp,
        hostPort: port,
        active: () => clients.size,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            for (const key of [...clients.keys()]) drop(key);
            server.close(() => done());
          })),
      });
    });
  });
}
