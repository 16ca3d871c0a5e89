/**
 * Outbound traffic of a rootless holder: a user-mode network stack attached to the holder's network
 * namespace (slirp4netns, else pasta: ./outbound-drivers.ts; a tap0 there, its other end in this,
 * the host's, namespace), plus NAT inside the holder from every stack bridge out through tap0. The
 * driver only answers for its own 10.0.2.0/24 network, so packets of the bridge subnets must leave
 * tap0 with tap0's address: a MASQUERADE rule in the holder's own netfilter tables, which its user
 * namespace's root may write (iptables-nft; iptables-legacy too, given a lock file it can open).
 * Forwarding is switched on in the holder's namespace only.
 *
 * The driver dies with the caller (the keeper, ./network-keeper.ts), however it exits.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { RuntimeError } from '../../../errors.js';
import { runInHolder } from './network-holder-exec.js';
import { OUTBOUND_DEVICE, outboundDriver, SLIRP_NETWORK, startDriver, type OutboundDriver } from './outbound-drivers.js';

export { OUTBOUND_DEVICE, SLIRP_NETWORK, type OutboundDriver } from './outbound-drivers.js';

/** What was started for outbound traffic. */
export interface Outbound {
  driver: OutboundDriver;
  pid: number;
  /** slirp4netns's API socket (add_hostfwd, list_hostfwd; unused by hafen's own port forwarding); none with pasta. */
  apiSocket?: string;
  device: string;
  /** tap0's address, its gateway and the DNS forwarder containers' resolv.conf points at. */
  address: string;
  gateway: string;
  dns: string;
  /**
   * Whether containers reach the host's loopback through the gateway. Off by default, as in Docker's
   * rootless mode and Podman: a service a user bound to 127.0.0.1 is meant for the user's own
   * processes, and root's containers cannot reach it either. HAFEN_ROOTLESS_HOST_LOOPBACK=1 opens it.
   */
  hostLoopback: boolean;
  /**
   * What `host-gateway` names: the host's first non-loopback IPv4 address (reached through slirp4netns
   * as any outside address, so services listening on it or on 0.0.0.0 answer, as for root's
   * containers through their bridge), or the gateway when the host's loopback is open; undefined
   * when the host has no other address.
   */
  hostAddress: string | undefined;
  /** Which iptables wrote the MASQUERADE rule. */
  nat: 'iptables-nft' | 'iptables-legacy';
}

/** Why outbound traffic cannot be had here (each with what to run), or undefined when it can. */
export function outboundUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const driver = outboundDriver(env);
  if (!driver) return 'neither slirp4netns nor pasta is installed; to allow it: sudo apt-get install slirp4netns (or passt, which has pasta; or your distribution\'s package)';
  try {
    fs.accessSync('/dev/net/tun', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    // What to run is said with it: root's one command, as udev would have done on a desktop.
    let mode: string;
    let fix: string;
    try {
      mode = ` (mode ${(fs.statSync('/dev/net/tun').mode & 0o777).toString(8).padStart(4, '0')}; udev's usual is 0666)`;
      fix = 'sudo chmod 0666 /dev/net/tun';
    } catch {
      mode = ' (it does not exist: the tun module is not loaded)';
      fix = 'sudo modprobe tun && sudo chmod 0666 /dev/net/tun';
    }
    return `/dev/net/tun cannot be opened by this user${mode}, so ${driver} cannot make the tap device; to allow it: ${fix}`;
  }
  return undefined;
}

/** Options of startOutbound. */
export interface OutboundOptions {
  holderPid: number;
  /** The keeper's folder: the driver's files (outbound-drivers.ts) and iptables-legacy's lock file. */
  stateDir: string;
  /** Where the driver's output goes (an open file descriptor). */
  logFd: number;
  mtu?: number;
  /** How long to wait for the driver's tap0. */
  readyTimeoutMs?: number;
}

/** A started driver (killed when the keeper goes: outbound-drivers.ts) and what it offers. */
export interface StartedOutbound extends Outbound {
  child: ChildProcess;
}

/** The stack bridges' names in the holder (link-names.ts's bridgeName), as an iptables interface wildcard. */
const BRIDGES = 'hf-+';

/**
 * The holder's firewall for outbound traffic, as `-C`-able rules: bridges NATed out through tap0,
 * and nothing routed from one stack bridge to another. Containers get a default route through their
 * bridge only for the way out (container-route.ts); with forwarding on, that route would also reach
 * every other network of the user, which root's containers (no default route) never can.
 */
const HOLDER_RULES: ReadonlyArray<readonly string[]> = [
  ['-t', 'nat', 'POSTROUTING', '-o', OUTBOUND_DEVICE, '-j', 'MASQUERADE'],
  ['-t', 'filter', 'FORWARD', '-i', BRIDGES, '-o', BRIDGES, '-j', 'DROP'],
];

/**
 * Switches forwarding on in the holder, takes bridged frames out of iptables there (br_netfilter's
 * bridge-nf-call-iptables, per network namespace: frames between containers of one network are
 * switched, not routed, and must not meet the DROP between bridges), and writes HOLDER_RULES once.
 */
export async function configureNat(holderPid: number, stateDir: string): Promise<Outbound['nat']> {
  const sysctls = 'echo 1 > /proc/sys/net/ipv4/ip_forward && f=/proc/sys/net/bridge/bridge-nf-call-iptables && { [ ! -e $f ] || echo 0 > $f; }';
  const forward = await runInHolder(holderPid, ['sh', '-c', sysctls]);
  if (forward.code !== 0) throw new RuntimeError(`holder ${holderPid}`, `cannot switch IPv4 forwarding on in its network namespace: ${forward.stderr}`);
  // iptables-legacy locks /run/xtables.lock, which the user cannot create; it honours XTABLES_LOCKFILE.
  const env = { ...process.env, XTABLES_LOCKFILE: `${stateDir}/xtables.lock` };
  const problems: string[] = [];
  for (const tool of ['iptables-nft', 'iptables-legacy'] as const) {
    const failed = await addRules(holderPid, tool, env);
    if (!failed) return tool;
    problems.push(`${tool}: ${failed}`);
  }
  throw new RuntimeError(`holder ${holderPid}`, `cannot add the firewall rules for ${OUTBOUND_DEVICE}: ${problems.join('; ')}`);
}

/** Adds each of HOLDER_RULES not there yet with `tool`; the first problem, or undefined when all are there. */
async function addRules(holderPid: number, tool: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const [, table, chain, ...rule] of HOLDER_RULES) {
    if ((await runInHolder(holderPid, [tool, '-t', table!, '-C', chain!, ...rule], env)).code === 0) continue;
    const r = await runInHolder(holderPid, [tool, '-t', table!, '-A', chain!, ...rule], env);
    if (r.code !== 0) return r.stderr || `exit ${r.code}`;
  }
  return undefined;
}

/** Starts the driver for the holder (slirp4netns, else pasta), waits until tap0 is configured, then sets up NAT. */
export async function startOutbound(options: OutboundOptions): Promise<StartedOutbound> {
  const why = outboundUnavailable();
  if (why) throw new RuntimeError(`holder ${options.holderPid}`, `no outbound network: ${why}`);
  const driver = outboundDriver()!;
  const hostLoopback = process.env.HAFEN_ROOTLESS_HOST_LOOPBACK === '1';
  let started;
  try {
    started = await startDriver(driver, { ...options, hostLoopback, readyTimeoutMs: options.readyTimeoutMs ?? 10_000 });
  } catch (err) {
    throw new RuntimeError(`holder ${options.holderPid}`, (err as Error).message, { cause: err });
  }
  try {
    const nat = await configureNat(options.holderPid, options.stateDir);
    const hostAddress = hostLoopback ? SLIRP_NETWORK.gateway : firstHostAddress();
    return { driver, pid: started.child.pid!, child: started.child, ...(started.apiSocket ? { apiSocket: started.apiSocket } : {}), device: OUTBOUND_DEVICE, ...pick(SLIRP_NETWORK), hostLoopback, hostAddress, nat };
  } catch (err) {
    started.child.kill('SIGKILL');
    throw err;
  }
}

/** The host's first non-loopback IPv4 address (the keeper runs in the host's network namespace). */
function firstHostAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
}

function pick(n: typeof SLIRP_NETWORK): { address: string; gateway: string; dns: string } {
  return { address: n.address, gateway: n.gateway, dns: n.dns };
}
