/**
 * Test helpers for the rootless network: a stand-in holder (the rootless test user's
 * `unshare --user --map-root-user --net --mount sleep`), a bridge and stand-in containers inside it,
 * made as that user the way today's network code would inside the real holder, and the argv wrapper
 * that runs the keeper as that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { rootlessCommand, rootlessUser, runAsRootlessUser } from '../../../testing/rootless-user.js';
import { holderNetArgv, withSbin } from './network-holder-exec.js';

/** A process of the test user's, in namespaces of its own. */
export interface StandIn {
  pid: number;
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Spawns `argv` (as the user) and waits until its pid has a network namespace other than `than`'s. */
async function spawnInNewNetns(argv: string[], than: number): Promise<StandIn> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const pid = child.pid!;
  // A namespace of its own: neither `than`'s nor ours (a child just forked is still in ours until it joins and unshares).
  const others = [fs.readlinkSync(`/proc/${than}/ns/net`), fs.readlinkSync('/proc/self/ns/net')];
  for (let i = 0; ; i++) {
    let ns: string | undefined;
    try {
      ns = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      // Not there yet.
    }
    if (ns && !others.includes(ns)) break;
    if (i > 1000 || child.exitCode !== null) throw new Error(`${argv.join(' ')} made no network namespace`);
    await sleep(5);
  }
  return {
    pid,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** The stand-in holder: a user namespace (the user mapped to root), with its own network and mount namespaces. */
export function startStandInHolder(): Promise<StandIn> {
  return spawnInNewNetns(rootlessCommand('unshare', ['--user', '--map-root-user', '--net', '--mount', 'sleep', '600']), process.pid);
}

/** Runs `argv` as the user inside the holder's namespaces; throws with its stderr when it fails. */
export function inHolder(holderPid: number, argv: string[]): string {
  const [cmd, ...args] = holderNetArgv(holderPid, argv) as [string, ...string[]];
  const r = runAsRootlessUser(cmd, args, { timeoutMs: 10_000, env: withSbin(rootlessUser().env) as Record<string, string> });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} in holder ${holderPid}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** A bridge `name` with `gateway/prefix` inside the holder, as the embedded runtime makes one. */
export function addBridge(holderPid: number, name: string, gateway: string, prefix: number): void {
  inHolder(holderPid, ['ip', 'link', 'set', 'lo', 'up']);
  inHolder(holderPid, ['ip', 'link', 'add', name, 'type', 'bridge']);
  inHolder(holderPid, ['ip', 'addr', 'add', `${gateway}/${prefix}`, 'dev', name]);
  inHolder(holderPid, ['ip', 'link', 'set', name, 'up']);
}

/** A stand-in container inside the holder: its own network namespace, eth0 on `bridge` with `address`. */
export async function startStandInContainer(holderPid: number, o: { bridge: string; hostVeth: string; address: string; prefix: number; gateway: string }): Promise<StandIn> {
  const c = await spawnInNewNetns(rootlessCommand(...split(holderNetArgv(holderPid, ['unshare', '--net', 'sleep', '600']))), holderPid);
  inHolder(holderPid, ['ip', 'link', 'add', o.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', `/proc/${c.pid}/ns/net`]);
  inHolder(holderPid, ['ip', 'link', 'set', o.hostVeth, 'master', o.bridge, 'up']);
  inHolder(c.pid, ['ip', 'addr', 'add', `${o.address}/${o.prefix}`, 'dev', 'eth0']);
  inHolder(c.pid, ['ip', 'link', 'set', 'eth0', 'up']);
  inHolder(c.pid, ['ip', 'link', 'set', 'lo', 'up']);
  inHolder(c.pid, ['ip', 'route', 'add', 'default', 'via', o.gateway]);
  return c;
}

/** Whether a socket of the network namespace of `pid` listens on `port` (/proc/PID/net shows that namespace's). */
function listensIn(pid: number, port: number, protocol: 'tcp' | 'udp'): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  try {
    return fs
      .readFileSync(`/proc/${pid}/net/${protocol}`, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .some((f) => `${f[1]} `.endsWith(hex) && (protocol === 'udp' || f[3] === '0A'));
  } catch {
    return false;
  }
}

/** Starts a server (`argv`, as the user) inside the namespaces of `pid`; resolves once it listens on `port`. */
export async function startInside(pid: number, argv: string[], port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<StandIn> {
  const [cmd, ...args] = rootlessCommand(...split(holderNetArgv(pid, argv)));
  const child = spawn(cmd!, args, { stdio: 'ignore' });
  for (let i = 0; !listensIn(child.pid!, port, protocol); i++) {
    if (i > 1500 || child.exitCode !== null) throw new Error(`${argv.join(' ')} did not start listening on ${port}/${protocol}`);
    await sleep(10);
  }
  return {
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

function split(argv: string[]): [string, string[]] {
  return [argv[0]!, argv.slice(1)];
}

/** Whether the test user can open /dev/net/tun (udev makes it 0666; some machines leave it 0600). */
export function userCanOpenTun(): boolean {
  return runAsRootlessUser('sh', ['-c', 'exec 3<>/dev/net/tun'], { timeoutMs: 5000 }).status === 0;
}

/**
 * The argv wrapper that runs the keeper as the test user (`tun: false`: as the machine has it). Where the user cannot open /dev/net/tun,
 * the keeper runs in a private mount namespace (made by root, before dropping to the user) where a
 * 0666 node of the same device is bound over /dev/net/tun, as udev would have made it; nothing
 * outside that namespace changes.
 */
export function keeperWrapper(options: { tun?: boolean } = {}): (argv: string[]) => string[] {
  const asUser = (argv: string[]): string[] => rootlessCommand(argv[0]!, argv.slice(1));
  if (options.tun === false || userCanOpenTun()) return asUser;
  const script =
    'd=$(mktemp -d) && mount -t tmpfs -o mode=0755 none "$d" && mknod -m 0666 "$d/tun" c 10 200 && ' +
    'mount --bind "$d/tun" /dev/net/tun && umount -l "$d" && rmdir "$d" && exec "$@"';
  return (argv) => ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...asUser(argv)];
}

/** Whether anything listens on TCP `port` of any address (host namespace), as `ss` sees it. */
export function listeners(port: number, protocol: 'tcp' | 'udp'): string[] {
  const out = spawnSync('ss', [protocol === 'tcp' ? '-Hltn' : '-Hlun'], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3])
    .filter((local): local is string => local !== undefined && local.endsWith(`:${port}`));
}
