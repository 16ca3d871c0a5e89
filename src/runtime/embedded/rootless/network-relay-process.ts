/**
 * The relay process: started by the keeper inside the holder's user and network namespaces, with
 * Node's IPC channel to the keeper. It takes the sockets the keeper bound on the host and relays
 * them (./network-port-relay.ts) until told to close them; when the channel closes (the keeper is
 * gone), it exits, and the host ports with it.
 */
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { RelayReply, RelayRequest } from './network-protocol.js';
import { relayTcp, relayUdp, type Relay } from './network-port-relay.js';

/** Serves the keeper's requests on this process's IPC channel. */
export function runRelayProcess(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('the relay needs an IPC channel to its keeper');
  const relays = new Map<number, Relay>();
  const log = (m: string): void => void process.stderr.write(`relay: ${m}\n`);
  process.on('message', (request: RelayRequest, handle?: net.Server | dgram.Socket) => {
    const reply = (r: RelayReply): void => void send(r);
    switch (request.op) {
      case 'open-tcp':
      case 'open-udp': {
        if (!handle) return reply({ op: 'failed', id: request.id, message: 'no socket came with the request' });
        const target = { targetIp: request.targetIp, targetPort: request.targetPort, udpIdleMs: request.udpIdleMs };
        const where = `${request.op === 'open-tcp' ? 'tcp' : 'udp'} → ${request.targetIp}:${request.targetPort}`;
        relays.set(request.id, request.op === 'open-tcp' ? relayTcp(handle as net.Server, target, (m) => log(`${where}: ${m}`)) : relayUdp(handle as dgram.Socket, target, (m) => log(`${where}: ${m}`)));
        return reply({ op: 'done', id: request.id });
      }
      case 'close': {
        const relay = relays.get(request.id);
        relays.delete(request.id);
        void (relay?.close() ?? Promise.resolve()).then(() => reply({ op: 'done', id: request.id }));
        return;
      }
      default: {
        const never: never = request;
        log(`unknown request ${JSON.stringify(never)}`);
      }
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ op: 'ready' } satisfies RelayReply);
}
