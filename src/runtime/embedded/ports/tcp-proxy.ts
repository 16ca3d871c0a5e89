/**
 * The TCP side of a published port: each accepted connection gets its own connection to the
 * container, and bytes are piped both ways. Half-close is passed on (a client's FIN becomes a FIN
 * to the container, which may still answer); an error on either side resets the other; a container
 * that refuses gets the client reset. Nothing that happens to one connection stops the proxy.
 */
import net from 'node:net';
import { listenAddress, PublishError, type Proxy, type ProxyOptions, type ProxySpec } from './proxy-spec.js';

/** Wires two sockets both ways; an abortive end of one ends the other abortively too. */
function splice(client: net.Socket, upstream: net.Socket, onProblem: (message: string) => void): void {
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  client.on('error', (err) => {
    onProblem(`client ${client.remoteAddress}:${client.remotePort}: ${err.message}`);
    upstream.destroy();
  });
  upstream.on('error', (err) => {
    onProblem(`${connected ? '' : 'connecting to '}container: ${err.message}`);
    if (!client.destroyed) client.resetAndDestroy();
  });
  // A clean close follows both FINs, with nothing left to pass on; only an abrupt one is passed on.
  client.on('close', (hadError) => hadError && upstream.destroy());
  upstream.on('close', (hadError) => hadError && !client.destroyed && client.resetAndDestroy());
}

/** Listens on the spec's host address and port and forwards each connection to the container. */
export function startTcpProxy(spec: ProxySpec, options: ProxyOptions): Promise<Proxy> {
  const hostIp = listenAddress(spec);
  /** Open connections: a client and its upstream, until both have closed. */
  const pairs = new Set<[net.Socket, net.Socket]>();
  const log = options.log ?? (() => {});
  const track = (pair: [net.Socket, net.Socket]): void => {
    pairs.add(pair);
    let open = 2;
    for (const s of pair) s.once('close', () => --open === 0 && pairs.delete(pair));
  };
  // pauseOnConnect: nothing is read from the client before the container has answered.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const upstream = net.connect({ host: spec.targetIp, port: spec.targetPort, allowHalfOpen: true });
    track([client, upstream]);
    splice(client, upstream, (m) => log(`${spec.service} ${hostIp}:${proxyPort()}/tcp: ${m}`));
  });
  let port = 0;
  const proxyPort = (): number => port;

  let closing: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException): void => reject(new PublishError(spec, err));
    server.once('error', onListenError);
    server.listen({ host: hostIp, port: spec.hostPort ?? 0, exclusive: true }, () => {
      server.off('error', onListenError);
      server.on('error', (err) => log(`${spec.service} ${hostIp}:${port}/tcp: ${err.message}`));
      port = (server.address() as net.AddressInfo).port;
      resolve({
        spec,
        protocol: 'tcp',
        hostIp,
        hostPort: port,
        active: () => pairs.size,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const pair of pairs) for (const s of pair) s.destroy();
          })),
      });
    });
  });
}
