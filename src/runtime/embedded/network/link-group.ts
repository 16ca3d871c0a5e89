/**
 * The link group of a stack network (issue 16): its bridge and the host ends of its containers'
 * veths carry one interface group number (IFLA_GROUP), set when each is made, so that `down` takes
 * them all away with one `ip link delete group N`: one request, which the kernel serves with one
 * unregister_netdevice_many, paying its RCU grace periods once for all of them. Deleted one by one
 * (or left to the kernel's teardown of each dead network namespace, which runs one namespace batch
 * after the other) each pays its own; the last container's veth then waited ~90 ms after its exit.
 *
 * The number is made from the bridge's name, so a veth made later finds it without asking; it has
 * bit 30 set (no `ip` user numbers groups so high by hand, and `ip` takes no number above 2^31 - 1).
 * Before a group is deleted its members are checked: only the bridge and its own ports, so a
 * number two networks happened to share deletes nothing of the other (the bridge goes alone then).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where the kernel lists the links of this network namespace. */
const NET_DIR = '/sys/class/net';

/** The interface group of the bridge `bridge` and its ports. */
export function bridgeGroup(bridge: string): number {
  const h = createHash('sha256').update(`group:${bridge}`).digest().readUInt32BE(0);
  return 0x40000000 | (h & 0x3fffffff);
}

/** The group number of the link `name`, or undefined when it is gone. */
function linkGroup(name: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(NET_DIR, name, 'netdev_group'), 'latin1'));
  } catch {
    return undefined;
  }
}

/** The bridge a link is a port of, if any. */
export function masterOf(name: string): string | undefined {
  try {
    return path.basename(fs.readlinkSync(path.join(NET_DIR, name, 'master')));
  } catch {
    return undefined;
  }
}

/**
 * Whether `ip link delete group N` would delete `bridge` and nothing but its ports: the bridge is in
 * its group and every other member is a port of it (a link gone meanwhile counts as nothing).
 */
export function groupHoldsOnly(bridge: string): boolean {
  const group = bridgeGroup(bridge);
  if (linkGroup(bridge) !== group) return false; // made before links had groups, or changed by hand
  let links: string[];
  try {
    links = fs.readdirSync(NET_DIR);
  } catch {
    return false;
  }
  return links.every((l) => l === bridge || linkGroup(l) !== group || masterOf(l) === bridge);
}
