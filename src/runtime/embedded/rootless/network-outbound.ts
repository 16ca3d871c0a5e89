/**
 * Outbound traffic of a rootless holder: slirp4netns attached to the holder's network namespace
 * (a tap0 there, its other end a user-mode TCP/IP stack in this, the host's, namespace), plus NAT
 * inside the holder from every stack bridge out through tap0. slirp4netns only answers for its own
 * 10.0.2.0/24 network, so packets of the bridge subnets must leave tap0 with tap0's address: a
 * MASQUERADE rule in the holder's own netfilter tables, which its user namespace's root may write
 * (iptables-nft; iptables-legacy too, given a lock file it can open). Forwarding is switched on in the
 * holder's namespace only.
 *
 * slirp4netns gets an exit fd: one end of a socket pair the caller (the keeper, ./network-keeper.ts)
 * holds. The keeper's end closes when it exits, however it exits, and slirp4netns then exits too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { RuntimeError } from '../../../errors.js';
import { runInHolder } from './network-holder-exec.js';

/** slirp4netns's fixed addresses with --configure (its defaults). */
export const SLIRP_NETWORK = { cidr: '10.0.2.0/24', address: '10.0.2.100', gateway: '10.0.2.2', dns: '10.0.2.3' } as const;
/** The device slirp4netns makes in the holder. */
export const OUTBOUND_DEVICE = 'tap0';

/** What was started for outbound traffic. */
export interface Outbound {
  driver: 'slirp4netns';
  pid: number;
  /** slirp4netns's API socket (add_hostfwd, list_hostfwd; unused by hafen's own port forwarding). */
  apiSocket: string;
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

/** Whether `command` is a file on PATH (searched as spawn would). */
function onPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').some((dir) => dir !== '' && fs.existsSync(path.join(dir, command)));
}

/** Why outbound traffic cannot be had here (each with what to run), or undefined when it can. */
export function outboundUnavailable(): string | undefined {
  if (!onPath('slirp4netns')) return 'slirp4netns is not installed; to allow it: sudo apt-get install slirp4netns (or your distribution\'s package)';
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
    return `/dev/net/tun cannot be opened by this user${mode}, so slirp4netns cannot make the tap device; to allow it: ${fix}`;
  }
  return undefined;
}

/** Options of startOutbound. */
export interface OutboundOptions {
  holderPid: number;
  /** Folder for slirp4netns's API socket and iptables-legacy's lock file. */
  stateDir: string;
  /** Where slirp4netns's output goes (an open file descriptor). */
  logFd: number;
  mtu?: number;
  /** How long to wait for slirp4netns to say it is ready. */
  readyTimeoutMs?: number;
}

/** A started slirp4netns and the end of its exit socket that keeps it alive. */
export interface StartedOutbound extends Outbound {
  child: ChildProcess;
}

function waitReady(child: ChildProcess, ready: Readable, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      ready.removeAllListeners('data');
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    const onExit = (code: number | null, signal: string | null): void => finish(new Error(`exited (${signal ?? `code ${code}`}) before it was ready`));
    ready.on('data', () => finish());
    child.once('exit', onExit);
  });
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

/** Starts slirp4netns for the holder, waits until tap0 is configured, then sets up NAT. */
export async function startOutbound(options: OutboundOptions): Promise<StartedOutbound> {
  const why = outboundUnavailable();
  if (why) throw new RuntimeError(`holder ${options.holderPid}`, `no outbound network: ${why}`);
  const apiSocket = path.join(options.stateDir, 'slirp4netns.sock');
  fs.rmSync(apiSocket, { force: true });
  const hostLoopback = process.env.HAFEN_ROOTLESS_HOST_LOOPBACK === '1';
  // fd 3: slirp4netns writes to it when tap0 is up; fd 4: slirp4netns exits when it reaches EOF.
  const child = spawn(
    'slirp4netns',
    [
      '--configure',
      `--mtu=${options.mtu ?? 65520}`,
      `--api-socket=${apiSocket}`,
      ...(hostLoopback ? [] : ['--disable-host-loopback']),
      '--ready-fd=3',
      '--exit-fd=4',
      String(options.holderPid),
      OUTBOUND_DEVICE,
    ],
    { stdio: ['ignore', options.logFd, options.logFd, 'pipe', 'pipe'] },
  );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  try {
    await spawned;
    await waitReady(child, child.stdio[3] as Readable, options.readyTimeoutMs ?? 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new RuntimeError(`holder ${options.holderPid}`, `slirp4netns: ${(err as Error).message}`, { cause: err });
  }
  (child.stdio[3] as Readable).destroy();
  // The exit end stays open for as long as this process lives; nothing is ever written to it.
  (child.stdio[4] as Writable).on('error', () => {});
  try {
    const nat = await configureNat(options.holderPid, options.stateDir);
    const hostAddress = hostLoopback ? SLIRP_NETWORK.gateway : firstHostAddress();
    return { driver: 'slirp4netns', pid: child.pid!, child, apiSocket, device: OUTBOUND_DEVICE, ...pick(SLIRP_NETWORK), hostLoopback, hostAddress, nat };
  } catch (err) {
    child.kill('SIGKILL');
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
