/**
 * Wires a container's network namespace to its stack networks: per network a veth pair, the host end
 * a port of the network's bridge, the other end the container's `eth0`, `eth1`, … with its address.
 *
 * One process spawn per container, whatever the number of networks: `nsenter --net=<container's
 * netns> ip -batch -` runs, inside the container's namespace,
 *
 *   link add hvXXXX netns /proc/<our pid>/ns/net master if<bridge index> up type veth peer name eth0
 *   link set dev lo up
 *   addr add 10.89.0.2/24 dev eth0
 *   link set dev eth0 up
 *
 * The first line makes the pair with its host end born in the host's namespace (ours), already a
 * port of the bridge (named by index: its name means nothing inside) and up, and its container end
 * born inside under its final name, so no temporary name ever shows on the host and nothing is
 * renamed or moved. No named netns (a bind mount under /run/netns) is made: it would outlive a
 * killed runtime.
 *
 * Routes: a container gets the on-link route of each subnet it is on (the kernel adds it with the
 * address) and NO default route. Stack networks have no outside network to reach, and without a
 * default route a container cannot send to a subnet it is not on, not even through the host's
 * address on its own bridge; that is what keeps containers of different networks (and different
 * stacks) apart. The host reaches every container through its bridges (the port proxies need that).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RuntimeError } from '../../../errors.js';
import type { Ledger, LedgerResource } from '../ledger/ledger.js';
import type { DebugLog } from './bridge.js';
import { linkExists } from './bridge.js';
import { linksLeftAfter } from './links-gone.js';
import { ipBatch, ipBatchResult, netnsFile, type NetnsRef } from './ip-command.js';
import { containerIfName, hostVethName } from './names.js';

/** One network a container joins: the network's bridge and the container's address on it. */
export interface Endpoint {
  network: string;
  bridge: string;
  address: string;
  prefix: number;
  /** The interface's name inside the container; `eth<index>` by default. */
  ifname?: string;
  /** Its MAC address; by default made from the address (macOfAddress). */
  mac?: string;
}

/** A container to wire: its namespace (by init pid or namespace file) and its networks, primary first. */
export type AttachSpec = NetnsRef & {
  project: string;
  container: string;
  endpoints: Endpoint[];
};

/** One interface as made. */
export interface AttachedInterface {
  network: string;
  /** Name inside the container. */
  ifname: string;
  /** Host end of the pair (the bridge's port). */
  hostVeth: string;
  address: string;
  prefix: number;
}

/** What attachContainer made, and how long it took (milliseconds, both spawns included). */
export interface Attachment {
  interfaces: AttachedInterface[];
  ms: number;
}

/** Our own network namespace (the host's, where the bridges are), as a file any process can open. */
const HOST_NETNS = `/proc/${process.pid}/ns/net`;

/** The interface index of a bridge on the host. */
function bridgeIndex(bridge: string, resource: string): number {
  try {
    return Number(fs.readFileSync(`/sys/class/net/${bridge}/ifindex`, 'utf8'));
  } catch {
    throw new RuntimeError(resource, `network bridge ${bridge} does not exist; create the network first`);
  }
}

/** The bridge a host link is a port of, if any. */
function masterOf(link: string): string | undefined {
  try {
    return path.basename(fs.readlinkSync(`/sys/class/net/${link}/master`));
  } catch {
    return undefined;
  }
}

/** The host-end veth entries of a container, as the ledger holds them. */
function vethEntries(project: string, container: string, networks: string[]): LedgerResource[] {
  return networks.map((n) => ({ kind: 'veth', name: hostVethName(project, container, n) }));
}

/** Deletes the host ends (which takes the container ends along); returns the names still there. */
async function deleteVeths(names: string[]): Promise<{ left: string[]; stderr: string }> {
  const present = names.filter(linkExists);
  const r = present.length ? await ipBatchResult(present.map((n) => `link del dev ${n}`), { force: true }) : { stderr: '' };
  return { left: names.filter(linkExists), stderr: r.stderr };
}

/** The interfaces of a container, and the `ip -batch` lines that make them when run in its namespace. */
export interface AttachCommands {
  interfaces: AttachedInterface[];
  lines: string[];
}

/**
 * The commands attachContainer runs inside the container's namespace (see the module comment); a
 * launcher that is in that namespace already can run them itself. Reads the bridges' indexes.
 */
export function attachCommands(spec: Omit<AttachSpec, 'pid' | 'netnsPath'>): AttachCommands {
  const resource = `container ${spec.container}`;
  const interfaces: AttachedInterface[] = spec.endpoints.map((e, i) => ({
    network: e.network,
    ifname: e.ifname ?? containerIfName(i),
    hostVeth: hostVethName(spec.project, spec.container, e.network),
    address: e.address,
    prefix: e.prefix,
  }));
  const lines = spec.endpoints.map(
    (e, n) =>
      `link add ${interfaces[n]!.hostVeth} netns ${HOST_NETNS} master if${bridgeIndex(e.bridge, resource)} up type veth peer name ${interfaces[n]!.ifname} address ${e.mac ?? macOfAddress(e.address)}`,
  );
  lines.push('link set dev lo up');
  for (const i of interfaces) lines.push(`addr add ${i.address}/${i.prefix} dev ${i.ifname}`, `link set dev ${i.ifname} up`);
  return { interfaces, lines };
}

/**
 * Connects a container's network namespace to its networks (see the module comment), each veth
 * written to the ledger first. On failure, what was made is taken down again before the error is thrown.
 */
export async function attachContainer(ledger: Ledger, spec: AttachSpec, log?: DebugLog): Promise<Attachment> {
  const started = performance.now();
  const netns = netnsFile(spec);
  const resource = `container ${spec.container}`;
  const commands = await prepareAttach(ledger, spec, log);
  try {
    await ipBatch(resource, commands.lines, { netns });
    checkAttached(spec);
  } catch (err) {
    await undoAttach(ledger, spec);
    throw err;
  }
  const ms = performance.now() - started;
  log?.(`Created network interfaces of ${spec.container} in ${ms.toFixed(1)} ms`);
  return { interfaces: commands.interfaces, ms };
}

/**
 * The first half of attachContainer, for a launcher that runs the lines inside the namespace itself
 * (hafen-run --net-setup, issue 16): the veths written to the ledger, host ends left by an earlier
 * run of this container deleted; returns the lines. Then checkAttached, or undoAttach on failure.
 */
export async function prepareAttach(ledger: Ledger, spec: Omit<AttachSpec, 'pid' | 'netnsPath'>, log?: DebugLog): Promise<AttachCommands> {
  const resource = `container ${spec.container}`;
  const hostVeths = spec.endpoints.map((e) => hostVethName(spec.project, spec.container, e.network));
  log?.(`Creating network interfaces of ${spec.container}: ${spec.endpoints.map((e, n) => `${e.address}/${e.prefix} on ${e.network} (${hostVeths[n]})`).join(', ') || 'lo only'}`);
  ledger.addAll(vethEntries(spec.project, spec.container, spec.endpoints.map((e) => e.network)), spec.container);
  try {
    // Host ends left by an earlier run of this container (killed before its detach) are in the way.
    const stale = hostVeths.filter(linkExists);
    if (stale.length > 0) {
      const { left, stderr } = await deleteVeths(stale);
      if (left.length > 0) throw new RuntimeError(resource, `cannot remove the stale veth ${left.join(', ')}: ${stderr}`);
    }
    return attachCommands(spec);
  } catch (err) {
    await undoAttach(ledger, spec);
    throw err;
  }
}

/** Checks that each host end of the container's veths is a port of its network's bridge. */
export function checkAttached(spec: Omit<AttachSpec, 'pid' | 'netnsPath'>): void {
  for (const e of spec.endpoints) {
    const veth = hostVethName(spec.project, spec.container, e.network);
    const master = masterOf(veth);
    if (master !== e.bridge) throw new RuntimeError(`container ${spec.container}`, `veth ${veth} ended up on ${master ?? 'no bridge'}, not ${e.bridge}`);
  }
}

/** Deletes what an attach made of the container's veths and strikes what is gone from the ledger. */
export async function undoAttach(ledger: Ledger, spec: Omit<AttachSpec, 'pid' | 'netnsPath'>): Promise<void> {
  const entries = vethEntries(spec.project, spec.container, spec.endpoints.map((e) => e.network));
  const { left } = await deleteVeths(entries.map((e) => (e.kind === 'veth' ? e.name : '')));
  ledger.removeAll(entries.filter((e) => e.kind === 'veth' && !left.includes(e.name)));
}

/**
 * Takes a container off its networks: deletes the host ends of its veth pairs (the container ends go
 * with them), checks they are gone and strikes them from the ledger. When the container's namespace
 * has died already, the kernel has removed the pairs itself, and this only checks and forgets them.
 */
export async function detachContainer(
  ledger: Ledger,
  spec: { project: string; container: string; networks: string[] },
  log?: DebugLog,
  /** The container's processes have all exited: the kernel is given a moment to remove the veths with its namespace (links-gone.ts). */
  ended = false,
): Promise<void> {
  const entries = vethEntries(spec.project, spec.container, spec.networks);
  const names = entries.map((e) => (e.kind === 'veth' ? e.name : ''));
  log?.(`Removing network interfaces of ${spec.container}: ${names.join(', ')}`);
  const { left, stderr } = await deleteVeths(ended ? await linksLeftAfter(names) : names);
  ledger.removeAll(entries.filter((e) => e.kind === 'veth' && !left.includes(e.name)));
  if (left.length > 0) {
    throw new RuntimeError(`container ${spec.container}`, `veth ${left.join(', ')} still there after ip link del: ${stderr || 'no reason given'}`);
  }
  log?.(`Removed network interfaces of ${spec.container}`);
}

/**
 * The container end's MAC address, made from its IPv4 address as Docker does (02:42 + the four
 * bytes): a container restarted with the same address keeps its MAC, so the neighbours' ARP caches
 * stay right instead of sending to the old one for seconds.
 */
export function macOfAddress(ipv4: string): string {
  const bytes = ipv4.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
  return ['02', '42', ...bytes].join(':');
}
