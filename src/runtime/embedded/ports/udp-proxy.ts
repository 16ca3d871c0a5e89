/**
 * The UDP side of a published port: the bound socket on the host, its clients relayed by
 * udp-clients.ts (one socket towards the container each, closed after 90 s without traffic).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { DEFAULT_UDP_IDLE_MS, relayUdpClients } from './udp-clients.js';
import { listenAddress, PublishError, type Proxy, type ProxyOptions, type ProxySpec } from './proxy-spec.js';

/** Listens on the spec's host address and port and forwards datagrams to and from the container. */
export function startUdpProxy(spec: ProxySpec, options: ProxyOptions): Promise<Proxy> {
  const hostIp = listenAddress(spec);
  const log = options.log ?? (() => {});
  const server = dgram.createSocket({ type: net.isIPv6(hostIp) ? 'udp6' : 'udp4' });
  let port = 0;
  const problem = (m: string): void => log(`${spec.service} ${hostIp}:${port}/udp: ${m}`);
  const clients = relayUdpClients(server, spec, options.udpIdleMs ?? DEFAULT_UDP_IDLE_MS, problem);

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
        active: () => clients.size(),
        close: () =>
          (closing ??= new Promise<void>((done) => {
            clients.dropAll();
            server.close(() => done());
          })),
      });
    });
  });
}
