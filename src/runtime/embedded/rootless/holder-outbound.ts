/**
 * What a rootless container's name files need of the holder's outbound network (issue 17):
 * slirp4netns's DNS forwarder, which stands in for a loopback resolver of the host (unreachable from
 * the holder's network namespace), and its gateway, which is the host's loopback seen from inside
 * (`host-gateway` in extra_hosts). Read from the keeper's record; undefined when the holder has no
 * outbound network (no /dev/net/tun for the user, or no keeper).
 */
import { runningNetwork } from './holder-ports.js';
import { rootlessResolvConf } from './network-resolv.js';
import { userRuntimeDir } from './rootless-paths.js';

/** The outbound addresses containers may use. */
export interface HolderOutbound {
  /** What `host-gateway` names (the host's own address; slirp4netns's 10.0.2.2 when its loopback is open), if anything. */
  hostAddress: string | undefined;
  /** slirp4netns's DNS forwarder (10.0.2.3). */
  dns: string;
}

// Read once per process: a process lives in one holder, whose keeper is started before any command
// or supervisor joins it and keeps its addresses for the holder's life.
let known: { outbound: HolderOutbound | undefined } | undefined;

/** The holder's outbound addresses, or undefined without outbound network. */
export function holderOutbound(runtimeDir: string = userRuntimeDir()): HolderOutbound | undefined {
  if (known) return known.outbound;
  const record = runningNetwork(runtimeDir);
  const outbound = record && 'gateway' in record.outbound ? { hostAddress: record.outbound.hostAddress, dns: record.outbound.dns } : undefined;
  if (record) known = { outbound };
  return outbound;
}

/** A rootless container's resolv.conf: loopback nameservers replaced by the forwarder, when there is one. */
export function rootlessContainerResolvConf(text: string): string {
  const outbound = holderOutbound();
  return outbound ? rootlessResolvConf(text, outbound.dns) : text;
}
