/**
 * The far end of a reverse link (issue 19): a service on another host depending on one of this
 * machine (reverse-link.ts). Run there as `stack system relay` by the ssh connection that also
 * carries `-R 127.0.0.1:PORT:…` back here: embedded containers reach no address but their bridge's
 * (host-gateway), and sshd binds remote forwards on loopback only unless GatewayPorts is set, so
 * this relay listens on the dependent's bridges' addresses, same port, and passes each connection to 127.0.0.1.
 * For a user without root it runs inside the user's namespaces, where its bridges are (their
 * containers' host-gateway is the host through slirp4netns, not a bridge: `<DEP>_HOST` names the
 * address the relay reports), and goes out to 127.0.0.1 through the host's loopback relay of the
 * command's outer process (rootless/host-loopback.ts). It lives as long as that connection: it writes a byte to its standard output (thrown away by ssh
 * here) every half second, and the first write after ssh is gone fails, which ends it.
 */
import net from 'node:net';
import { hostLoopbackSocket } from '../runtime/embedded/rootless/host-loopback.js';
import { interfaceAddress } from './bridge-address.js';

/** What the relay says on standard error once it listens (reverse-link.ts waits for it). */
export const RELAY_READY = 'hafen relay listening';

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
}

/** Passes `inbound` on to `port` on 127.0.0.1: directly, or (inside a user's namespaces) through the host's loopback relay. */
function relayTo(inbound: net.Socket, port: number): void {
  inbound.pause();
  inbound.on('error', () => inbound.destroy());
  const joined = (outbound: net.Socket): void => {
    inbound.pipe(outbound).pipe(inbound);
    outbound.on('error', () => inbound.destroy());
    inbound.on('error', () => outbound.destroy());
    inbound.on('close', () => outbound.destroy());
  };
  const through = hostLoopbackSocket(port);
  if (through) through.then(joined, () => inbound.destroy());
  else joined(net.connect({ host: '127.0.0.1', port }));
}

/** The addresses a ready relay said it listens on (its first line to standard error), one per bridge, in their order. */
export function relayAddresses(said: string): string[] | undefined {
  const m = new RegExp(`${RELAY_READY} on (\\S*) ports`).exec(said);
  return m ? m[1]!.split(',').filter(Boolean) : undefined;
}

/**
 * Serves the relay on the address of each of `bridges` (every network of the dependent: any of its
 * gateways answers) for `ports` until the ssh connection that started it ends; returns the exit
 * code. No bridge: nothing to listen on (a dependent on the host's network connects to the
 * forward's own loopback port), the relay only holds the link's life.
 */
export async function serveRelay(bridges: string[], ports: number[]): Promise<number> {
  const hosts: string[] = [];
  for (const bridge of bridges) {
    const host = interfaceAddress(bridge);
    if (!host) {
      process.stderr.write(`hafen relay: no IPv4 address on ${bridge} here\n`);
      return 1;
    }
    hosts.push(host);
  }
  const servers: net.Server[] = [];
  try {
    for (const host of hosts) {
      for (const port of ports) {
        const server = net.createServer((inbound) => relayTo(inbound, port));
        servers.push(server);
        await listen(server, host, port).catch((err: Error) => {
          throw new Error(`cannot listen on ${host}:${port}: ${err.message}`);
        });
      }
    }
  } catch (err) {
    process.stderr.write(`hafen relay: ${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`${RELAY_READY} on ${hosts.join(',')} ports ${ports.join(',')}\n`);
  let beat: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    process.stdout.once('error', () => resolve());
    process.stdout.once('close', () => resolve());
    beat = setInterval(() => {
      try {
        process.stdout.write('.');
      } catch {
        resolve();
      }
    }, 500);
  });
  clearInterval(beat);
  for (const s of servers) s.close();
  return 0;
}
