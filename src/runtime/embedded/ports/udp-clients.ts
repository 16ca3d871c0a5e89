/**
 * The client side of a UDP relay, shared by root's published ports (udp-proxy.ts) and the rootless
 * relay (rootless/network-port-relay.ts): each client (source address and port) of the bound socket
 * gets its own socket towards the container, so the container's answers find their way back to the
 * client they belong to; a client's socket is closed after a while without traffic either way.
 */
import dgram from 'node:dgram';
import net from 'node:net';

/** How long a client's upstream socket lives without traffic (90 s, as docker-proxy). */
export const DEFAULT_UDP_IDLE_MS = 90_000;

/** The clients a relay is serving. */
export interface UdpClients {
  /** Clients with an open upstream socket. */
  size(): number;
  /** Closes every client's upstream socket (the bound socket is the caller's to close). */
  dropAll(): void;
}

/**
 * Relays datagrams arriving on `socket` to `targetIp:targetPort`, and the container's answers back
 * to their client; anything else reaching an upstream socket is dropped. `problem` hears what failed.
 */
export function relayUdpClients(socket: dgram.Socket, target: { targetIp: string; targetPort: number }, idleMs: number, problem: (message: string) => void): UdpClients {
  const clients = new Map<string, { upstream: dgram.Socket; idle: NodeJS.Timeout }>();
  const type = net.isIPv6(target.targetIp) ? 'udp6' : 'udp4';
  const drop = (key: string): void => {
    const c = clients.get(key);
    if (!c) return;
    clients.delete(key);
    clearTimeout(c.idle);
    c.upstream.close();
  };
  const clientFor = (address: string, port: number) => {
    const key = `${address}|${port}`;
    const known = clients.get(key);
    if (known) return known;
    const upstream = dgram.createSocket({ type });
    const c = { upstream, idle: setTimeout(() => drop(key), idleMs).unref() };
    upstream.on('message', (msg, from) => {
      if (from.address !== target.targetIp || from.port !== target.targetPort) return;
      c.idle.refresh();
      socket.send(msg, port, address, (err) => err && problem(`to client ${address}:${port}: ${err.message}`));
    });
    upstream.on('error', (err) => {
      problem(`towards the container for ${address}:${port}: ${err.message}`);
      drop(key);
    });
    clients.set(key, c);
    return c;
  };
  socket.on('message', (msg, from) => {
    const c = clientFor(from.address, from.port);
    c.idle.refresh();
    c.upstream.send(msg, target.targetPort, target.targetIp, (err) => err && problem(`to the container: ${err.message}`));
  });
  return {
    size: () => clients.size,
    dropAll: () => {
      for (const key of [...clients.keys()]) drop(key);
    },
  };
}
