/**
 * The inner end of a rootless published port. It runs in the holder's network namespace, where
 * the stack bridges are, and is handed sockets that the keeper (./network-keeper.ts) bound in the
 * host's namespace: a socket keeps the namespace it was made in, whoever holds it. So the relay
 * accepts host connections on a host socket and connects to the container from its own namespace,
 * and bytes are copied by one process, as root's userland proxy does (ports/tcp-proxy.ts) — no
 * user-mode TCP stack on the way. The container sees connections from the bridge's gateway address,
 * as with root's proxy.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { DEFAULT_UDP_IDLE_MS, relayUdpClients } from '../ports/udp-clients.js';

/** Where a relayed port goes. */
export interface RelayTarget {
  targetIp: string;
  targetPort: number;
  /** A UDP client's upstream socket is closed after this long without traffic (default 90 s). */
  udpIdleMs?: number;
}

/** A port being relayed. */
export interface Relay {
  /** Open TCP connections or UDP clients. */
  active(): number;
  /** Stops listening (the host port is free again) and drops every connection. */
  close(): Promise<void>;
}

/** Wires a host-side client and a container-side socket both ways, passing half-closes on. */
function splice(client: net.Socket, upstream: net.Socket, log: (m: string) => void): void {
  upstream.once('connect', () => {
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  client.on('error', (err) => {
    log(`client: ${err.message}`);
    upstream.destroy();
  });
  upstream.on('error', (err) => {
    log(`container: ${err.message}`);
    if (!client.destroyed) client.resetAndDestroy();
  });
  client.on('close', (hadError) => hadError && upstream.destroy());
  upstream.on('close', (hadError) => hadError && !client.destroyed && client.resetAndDestroy());
}

/** Relays connections accepted on `server` (listening, possibly bound in another namespace). */
export function relayTcp(server: net.Server, target: RelayTarget, log: (m: string) => void = () => {}): Relay {
  const open = new Set<net.Socket>();
  // A server received over IPC was made without options; these are what root's proxy uses.
  const options = server as net.Server & { allowHalfOpen: boolean; pauseOnConnect: boolean };
  options.allowHalfOpen = true;
  options.pauseOnConnect = true;
  server.on('connection', (client) => {
    const upstream = net.connect({ host: target.targetIp, port: target.targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      open.add(s);
      s.once('close', () => open.delete(s));
    }
    splice(client, upstream, log);
  });
  server.on('error', (err) => log(err.message));
  let closing: Promise<void> | undefined;
  return {
    active: () => Math.ceil(open.size / 2),
    close: () =>
      (closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const s of open) s.destroy();
      })),
  };
}

/** Relays datagrams received on `socket` (bound, possibly in another namespace): one upstream socket per client. */
export function relayUdp(socket: dgram.Socket, target: RelayTarget, log: (m: string) => void = () => {}): Relay {
  const clients = relayUdpClients(socket, target, target.udpIdleMs ?? DEFAULT_UDP_IDLE_MS, log);
  socket.on('error', (err) => log(err.message));
  let closing: Promise<void> | undefined;
  return {
    active: () => clients.size(),
    close: () =>
      (closing ??= new Promise<void>((done) => {
        clients.dropAll();
        socket.close(() => done());
      })),
  };
}
