/**
 * The two user-mode network stacks a rootless holder's outbound traffic may go through, as Podman
 * offers them: slirp4netns (preferred where installed) and pasta (package passt). Each makes a tap0
 * in the holder's network namespace with the same addresses (slirp4netns's defaults: 10.0.2.100/24,
 * gateway 10.0.2.2, DNS forwarder 10.0.2.3) and carries what leaves through it out from the host's
 * side, as the user; so NAT, routes and name files (network-outbound.ts) are the same for both.
 *
 * Each dies with the keeper that started it, however the keeper ends: slirp4netns through its exit
 * fd, pasta (which has none) through the parent-death signal setpriv gives it. Each names the
 * keeper's folder in its argv (driverMarks), so cleanup finds one whose keeper died before writing
 * its record.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInHolder } from './network-holder-exec.js';

/** The outbound addresses in the holder, for either driver (slirp4netns's defaults with --configure). */
export const SLIRP_NETWORK = { cidr: '10.0.2.0/24', address: '10.0.2.100', gateway: '10.0.2.2', dns: '10.0.2.3' } as const;
/** The device either driver makes in the holder. */
export const OUTBOUND_DEVICE = 'tap0';

/** Which user-mode network stack carries outbound traffic. */
export type OutboundDriver = 'slirp4netns' | 'pasta';

/** Whether `command` is a file on PATH (searched as spawn would). */
function onPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').some((dir) => dir !== '' && fs.existsSync(path.join(dir, command)));
}

/** The driver this user's PATH offers: slirp4netns when there, else pasta; undefined with neither. */
export function outboundDriver(env: NodeJS.ProcessEnv = process.env): OutboundDriver | undefined {
  return (['slirp4netns', 'pasta'] as const).find((d) => onPath(d, env));
}

/** How a driver is started for one holder. */
export interface DriverOptions {
  holderPid: number;
  /** The keeper's folder: slirp4netns's API socket, pasta's log. */
  stateDir: string;
  /** Where the driver's own output goes (an open file descriptor). */
  logFd: number;
  mtu?: number;
  /** Whether containers reach the host's loopback through the gateway (network-outbound.ts: Outbound.hostLoopback). */
  hostLoopback: boolean;
  /** How long to wait for tap0 to be configured. */
  readyTimeoutMs: number;
}

/** A driver running with tap0 configured in the holder. */
export interface StartedDriver {
  child: ChildProcess;
  /** slirp4netns's API socket (add_hostfwd, list_hostfwd; unused by hafen's own port forwarding). */
  apiSocket?: string;
}

const slirpSocket = (stateDir: string): string => path.join(stateDir, 'slirp4netns.sock');
const pastaLog = (stateDir: string): string => path.join(stateDir, 'pasta.log');

/** What either driver's argv holds for the keeper of `stateDir` (and nothing else does). */
export function driverMarks(stateDir: string): string[] {
  return [`--api-socket=${slirpSocket(stateDir)}`, `--log-file=${pastaLog(stateDir)}`];
}

/** Starts `driver` for the holder and resolves once tap0 is up there; kills it on failure. */
export async function startDriver(driver: OutboundDriver, options: DriverOptions): Promise<StartedDriver> {
  const started = driver === 'slirp4netns' ? spawnSlirp4netns(options) : spawnPasta(options);
  const spawned = new Promise<void>((resolve, reject) => {
    started.child.once('spawn', resolve);
    started.child.once('error', reject);
  });
  try {
    await spawned;
    await started.ready;
  } catch (err) {
    started.child.kill('SIGKILL');
    throw new Error(`${driver}: ${(err as Error).message}`, { cause: err });
  }
  return { child: started.child, ...(started.apiSocket ? { apiSocket: started.apiSocket } : {}) };
}

interface Spawned extends StartedDriver {
  ready: Promise<void>;
}

/** slirp4netns: writes to fd 3 when tap0 is up, exits when fd 4 reaches EOF (the keeper's end closed). */
function spawnSlirp4netns(options: DriverOptions): Spawned {
  const apiSocket = slirpSocket(options.stateDir);
  fs.rmSync(apiSocket, { force: true });
  const child = spawn(
    'slirp4netns',
    [
      '--configure',
      `--mtu=${options.mtu ?? 65520}`,
      `--api-socket=${apiSocket}`,
      ...(options.hostLoopback ? [] : ['--disable-host-loopback']),
      '--ready-fd=3',
      '--exit-fd=4',
      String(options.holderPid),
      OUTBOUND_DEVICE,
    ],
    { stdio: ['ignore', options.logFd, options.logFd, 'pipe', 'pipe'] },
  );
  // The exit end stays open for as long as the keeper lives; nothing is ever written to it.
  (child.stdio[4] as Writable).on('error', () => {});
  const readyFd = child.stdio[3] as Readable;
  const ready = until(child, options.readyTimeoutMs, (done) => readyFd.once('data', () => done())).finally(() => readyFd.destroy());
  return { child, apiSocket, ready };
}

/**
 * pasta joins the holder's user and network namespaces (by its pid), makes and configures tap0 with
 * slirp4netns's addresses, forwards DNS sent to 10.0.2.3 to the host's resolver, and forwards no
 * ports (its default would copy every port bound inside to the host: hafen publishes its own).
 * Without the host's loopback, the gateway is not mapped to it (--no-map-gw). In the foreground, it
 * says nothing when ready: tap0's address in the holder tells.
 */
function spawnPasta(options: DriverOptions): Spawned {
  const argv = [
    'pasta',
    '--foreground',
    '--quiet',
    `--log-file=${pastaLog(options.stateDir)}`,
    '--config-net',
    `--ns-ifname=${OUTBOUND_DEVICE}`,
    `--address=${SLIRP_NETWORK.address}`,
    '--netmask=24',
    `--gateway=${SLIRP_NETWORK.gateway}`,
    `--dns-forward=${SLIRP_NETWORK.dns}`,
    `--mtu=${options.mtu ?? 65520}`,
    '--ipv4-only',
    ...['--tcp-ports', '--udp-ports', '--tcp-ns', '--udp-ns'].map((o) => `${o}=none`),
    ...(options.hostLoopback ? [] : ['--no-map-gw']),
    String(options.holderPid),
  ];
  // setpriv's parent-death signal outlives its exec of pasta (not setuid): pasta goes when the keeper does.
  const command = onPath('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--', ...argv] : argv;
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', options.logFd, options.logFd] });
  const ready = until(child, options.readyTimeoutMs, async (done, stopped) => {
    while (!stopped()) {
      const r = await runInHolder(options.holderPid, ['ip', '-4', '-o', 'addr', 'show', 'dev', OUTBOUND_DEVICE]);
      if (r.code === 0 && r.stdout.includes(` ${SLIRP_NETWORK.address}/`)) return done();
      await sleep(50);
    }
  });
  return { child, ready };
}

/**
 * Resolves when `watch` calls done; rejects when the child exits first or after `timeoutMs`.
 * `stopped()` tells a polling watch to give up.
 */
function until(child: ChildProcess, timeoutMs: number, watch: (done: () => void, stopped: () => boolean) => unknown): Promise<void> {
  let over = false;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: string | null): void => finish(new Error(`exited (${signal ?? `code ${code}`}) before it was ready`));
    const finish = (err?: Error): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    child.once('exit', onExit);
    void Promise.resolve(watch(() => finish(), () => over)).catch((err: Error) => finish(err));
  });
}
