/**
 * A service of this machine reached from a container on another host (issue 19: a remote ship's
 * dependent on a service here): one background `ssh -R 127.0.0.1:PORT:HOST:LOCALPORT` (loopback
 * there, which sshd allows by default: no GatewayPorts needed) running `stack system relay`
 * there, which listens on the addresses of the dependent's bridges, same port (ship-relay.ts). Recorded as
 * a forwarder under this machine's state for that host, so `down` (stopProjectForwarders) stops
 * the ssh, and the relay there ends with it.
 */
import { randomInt } from 'node:crypto';
import { StackError } from '../errors.js';
import { launchForwarder, readForwarderLog } from './port-forwarder.js';
import { relayAddresses } from './ship-relay.js';
import { remoteCommand, shellWord, type SshTarget } from './ssh-target.js';

/** A port of this machine to be reached there. */
export interface LinkedPort {
  /** Where it answers here. */
  host: string;
  port: number;
}

/** How many ports there are tried before giving up (one in use there makes ssh exit). */
const ATTEMPTS = 4;

/** A link's far end: the port there of each linked port (same order), and the address the relay listens on, per bridge. */
export interface ReverseLink {
  ports: number[];
  addresses: string[];
}

/**
 * Starts `name`'s reverse link to `target` for `ports`, its relay listening on each of `bridges`
 * there (none: only the forward's loopback port there); resolves once the relay listens.
 */
export async function startReverseLink(target: SshTarget, root: string, name: string, ports: readonly LinkedPort[], bridges: readonly string[]): Promise<ReverseLink> {
  let said = '';
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const there = ports.map(() => randomInt(20_000, 60_000));
    const on = bridges.length > 0 ? ` --bridge ${shellWord(bridges.join(','))}` : '';
    const command = `${remoteCommand()} system relay${on} --ports ${there.join(',')}`;
    const options = ports.flatMap((p, i) => ['-R', `127.0.0.1:${there[i]}:${p.host}:${p.port}`]);
    const forwards = ports.map((p, i) => ({ remote: { hostIp: '127.0.0.1', hostPort: there[i]! }, local: { hostIp: p.host, hostPort: p.port } }));
    const opened = await launchForwarder(target, root, name, { options, command, forwards }, () => Promise.resolve(relayAddresses(readForwarderLog(root, name)) !== undefined));
    if (opened.ok) return { ports: there, addresses: relayAddresses(readForwarderLog(root, name))! };
    said = opened.said;
  }
  throw new StackError('E_REMOTE', `remote host ${target.url}: a service of this machine could not be relayed there${said ? ` (${said})` : ''}`, 1);
}
