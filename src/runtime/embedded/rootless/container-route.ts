/**
 * A rootless container's way out (issue 17). Root's containers get no default route (stack networks
 * reach nothing outside: network/attach.ts). For a user without root whose holder has outbound
 * network (slirp4netns), a container gets a default route through the bridge of its first network
 * that is not `internal`, as Docker's containers do, and such a bridge forwards again (root's are
 * made with forwarding off: network/bridge.ts); the holder routes it out through tap0 with NAT, and
 * its firewall drops what would cross from one stack bridge to another (network-outbound.ts), so
 * networks stay as apart as root's. An internal network's bridge keeps forwarding off.
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import { containerIfName } from '../network/names.js';
import { holderOutbound } from './holder-outbound.js';

/** A network as the container record has it, with whether it is internal. */
export interface RouteNetwork {
  gateway?: string | undefined;
  internal: boolean;
  /** The interface's name inside the container, when not eth<index>. */
  ifname?: string;
}

/** The `ip -batch` lines adding the default route; none without outbound network or a non-internal network. */
export function outboundRouteLines(networks: readonly RouteNetwork[], outbound: boolean = holderOutbound() !== undefined): string[] {
  if (!outbound) return [];
  const i = networks.findIndex((n) => !n.internal && n.gateway);
  if (i < 0) return [];
  return [`route add default via ${networks[i]!.gateway} dev ${networks[i]!.ifname ?? containerIfName(i)}`];
}

/** Lets a new bridge forward its containers' packets out when the holder has outbound network and the network is not internal. */
export function openBridgeForOutbound(bridge: string, internal: boolean, outbound: boolean = holderOutbound() !== undefined): void {
  if (internal || !outbound) return;
  try {
    fs.writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/forwarding`, '1');
  } catch (err) {
    throw new RuntimeError(`bridge ${bridge}`, `cannot let it forward to the outbound network: ${(err as Error).message}`, { cause: err });
  }
}
