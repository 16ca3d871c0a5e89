/**
 * An OpenSSH server of the test's own (issue 19), so the remote-host tests drive "another host"
 * through a real ssh connection: Debian's sshd on a free loopback port with its own host key and
 * config, a throwaway client key, a known_hosts naming only that key, and a client config the CLI
 * is pointed at with HAFEN_SSH_COMMAND (`ssh -F <lab>/ssh_config`), never the machine's ~/.ssh.
 * Root logs in with the key (the remote side may run as root), and so does any other user of the
 * machine (`urlFor`: the rootless test user); `stop()` kills sshd and removes the lab's folder.
 *
 * With `netns`, the lab is a host of its own on this machine: sshd (and so the remote hafen and
 * everything it makes: bridges, port proxies, mounts, named netns) runs in a network namespace and
 * a mount namespace of the lab's (its own sysfs and /run/netns; the cgroup tree is the machine's),
 * reached from here through a veth pair on a /30 of the given /16 (10.243.x.0/30: .1 here, .2
 * there, its default route through here). The same project can then run on both sides, as on two
 * hosts (their bridges, named by project and network, would clash in one namespace). `stop()` also
 * removes the namespace and the pair.
 *
 * `name` gives a second lab (a third host) a host name of its own in its client config; `env` sets
 * variables for every session there (sshd's SetEnv), e.g. the HAFEN_ROOT of that "host", as a
 * real host's login environment would: labs share this machine's files, so two labs need two roots.
 * labsSshCommand() gives one HAFEN_SSH_COMMAND reaching several labs.
 *
 *   const lab = await startSshLab();  // HAFEN_HOST=lab.url, env: lab.env
 *   ...
 *   await lab.stop();
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import type { Requirement } from './requirements.js';

/** The name the lab's host goes by in its client config (and its known_hosts). */
export const LAB_HOST = 'hafen-ssh-lab';

/** A running lab. */
export interface SshLab {
  /** The lab's folder (keys, configs, sshd's log). */
  dir: string;
  port: number;
  /** `ssh://root@hafen-ssh-lab` (or the lab's `name`): what HAFEN_HOST is set to. */
  url: string;
  /** Its client config (Host `name`). */
  sshConfig: string;
  /** `ssh://<user>@hafen-ssh-lab`: another user of the machine logs in with the same key (the rootless test user). */
  urlFor(user: string): string;
  /** What the CLI needs to reach it: HAFEN_SSH_COMMAND with the lab's client config. */
  env: Record<string, string>;
  /** `ssh -F <config> hafen-ssh-lab` argv, for a test's own commands on the "remote" side. */
  ssh(command: string): string[];
  /** sshd's log so far. */
  log(): string;
  /** The pid of sshd (the listener; sessions are its children). */
  pid: number;
  /** With `netns`: the lab's address (sshd listens there, port 22), and argv running a command inside the lab's namespaces from here. */
  address?: string;
  inside(argv: string[]): string[];
  stop(): Promise<void>;
}

/** sshd and ssh-keygen present, and root (sshd's privilege separation needs it). */
export function requireSshd(): Requirement {
  return {
    name: 'sshd',
    check: () => {
      if (process.getuid?.() !== 0) return 'the ssh lab runs sshd, which needs root';
      if (!fs.existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is missing (apt-get install openssh-server)';
      if (spawnSync('ssh', ['-V'], { stdio: 'ignore' }).status !== 0) return 'ssh is missing (apt-get install openssh-client)';
      if (spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status !== 0) return 'setpriv is missing (apt-get install util-linux)';
      return undefined;
    },
  };
}

function keygen(file: string, comment: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'pipe' });
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** What `netns` needs of the machine: ip and nsenter besides sshd. */
export function requireSshLabNetns(): Requirement {
  return {
    name: 'ssh lab in a network namespace',
    check: () => {
      for (const tool of ['ip', 'nsenter', 'unshare']) if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).error) return `${tool} is missing (apt-get install iproute2 util-linux)`;
      return undefined;
    },
  };
}

/** The lab's own network: a named netns and a veth pair on a free /30 of `pool` (`10.243`). */
interface LabNetwork {
  netns: string;
  hostAddress: string;
  labAddress: string;
  remove(): void;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

function makeLabNetwork(pool: string): LabNetwork {
  const tag = randomBytes(3).toString('hex');
  const netns = `sshlab-${tag}`;
  const hostIf = `hsl${tag}`;
  const used = spawnSync('ip', ['-4', '-br', 'addr'], { encoding: 'utf8' }).stdout;
  let third = randomInt(0, 64);
  for (let i = 0; i < 64 && used.includes(`${pool}.${third}.`); i++) third = (third + 1) % 64;
  const hostAddress = `${pool}.${third}.1`;
  const labAddress = `${pool}.${third}.2`;
  const remove = (): void => {
    spawnSync('ip', ['netns', 'del', netns], { stdio: 'ignore' }); // takes the lab's end, and with it the pair
    spawnSync('ip', ['link', 'del', hostIf], { stdio: 'ignore' });
  };
  try {
    ip(['netns', 'add', netns]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', netns, 'addr', 'add', `${labAddress}/30`, 'dev', 'eth0']);
    ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    ip(['-n', netns, 'route', 'add', 'default', 'via', hostAddress]);
  } catch (err) {
    remove();
    throw err;
  }
  return { netns, hostAddress, labAddress, remove };
}

/**
 * The shell line that makes the lab's mount namespace what a host of its own has (a sysfs showing
 * its network namespace's links, with the machine's cgroup tree moved onto it; an empty
 * /run/netns), then becomes sshd.
 */
function labMountScript(dir: string, sshd: string[]): string {
  const cg = path.join(dir, 'cgroup');
  return [
    'set -e',
    `mkdir -p ${cg} /run/netns`,
    `mount --rbind /sys/fs/cgroup ${cg}`,
    'mount -t sysfs sysfs /sys',
    `mount --move ${cg} /sys/fs/cgroup`,
    'mount -t tmpfs -o mode=755 tmpfs /run/netns',
    `exec ${sshd.join(' ')}`,
  ].join('\n');
}

/**
 * Starts a lab sshd; rejects (with sshd's log) when it does not listen within 10 s. `netns`: the
 * second octet's /16 (`10.243`) the lab's own network namespace is reached through; `name`: the
 * host's name in its client config (default hafen-ssh-lab; two labs, two names, one `ssh -F`
 * file of both configs); `env`: set in every session there (sshd's SetEnv).
 */
export async function startSshLab(options: { netns?: string; name?: string; env?: Record<string, string> } = {}): Promise<SshLab> {
  const name = options.name ?? LAB_HOST;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-ssh-lab-'));
  // Searchable by others (not listable): sshd reads a user's authorized_keys as that user, and
  // another user than root logs in too (urlFor); the keys there stay 0600.
  fs.chmodSync(dir, 0o711);
  let network: LabNetwork | undefined;
  try {
    network = options.netns ? makeLabNetwork(options.netns) : undefined;
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const listenAddress = network?.labAddress ?? '127.0.0.1';
  const port = network ? 22 : await freePort();
  const hostKey = keygen(path.join(dir, 'host_ed25519'), 'hafen-ssh-lab-host');
  const clientKey = keygen(path.join(dir, 'client_ed25519'), 'hafen-ssh-lab-client');
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${clientKey}\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'known_hosts'), `${name} ${hostKey.split(' ').slice(0, 2).join(' ')}\n`, { mode: 0o600 });
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      `ListenAddress ${listenAddress}`,
      `HostKey ${dir}/host_ed25519`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'PrintMotd no',
      'PrintLastLog no',
      // OpenSSH's defaults, spelled out: published ports reach the local machine by the forwarder's
      // -L, a service here reaches the lab's containers by -R to its loopback (reverse-link.ts),
      // which works without GatewayPorts.
      'AllowTcpForwarding yes',
      'GatewayPorts no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      // The environment of every session there (two labs as two hosts: each its own HAFEN_ROOT).
      ...(options.env && Object.keys(options.env).length > 0 ? [`SetEnv ${Object.entries(options.env).map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'ssh_config'),
    [
      `Host ${name}`,
      `  HostName ${listenAddress}`,
      `  Port ${port}`,
      `  HostKeyAlias ${name}`,
      `  IdentityFile ${dir}/client_ed25519`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${dir}/known_hosts`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation folder
  const logFile = path.join(dir, 'sshd.log');
  // setpriv --pdeathsig: sshd (exec'd in setpriv's place) is killed when the process that started
  // the lab dies, so a test worker killed or failing before stop() leaves no listener behind.
  // With a network of its own: nsenter joins the lab's netns, unshare makes its mount namespace, and
  // the shell becomes sshd (each execs the next, so pdeathsig and the pid stay sshd's).
  const sshdArgv = ['/usr/sbin/sshd', '-D', '-e', '-f', path.join(dir, 'sshd_config')];
  const argv = network ? ['nsenter', `--net=/run/netns/${network.netns}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', labMountScript(dir, sshdArgv)] : sshdArgv;
  const sshd: ChildProcess = spawn('setpriv', ['--pdeathsig', 'KILL', ...argv], { stdio: ['ignore', 'ignore', fs.openSync(logFile, 'a')] });
  let exited = false;
  sshd.once('exit', () => (exited = true));
  const log = (): string => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => sshd.once('exit', () => resolve()));
      sshd.kill('SIGTERM');
      await Promise.race([gone, sleep(3000)]);
      if (!exited) sshd.kill('SIGKILL');
    }
    network?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  for (let t0 = Date.now(); !(await listening(listenAddress, port)); await sleep(50)) {
    if (exited || Date.now() - t0 > 10_000) {
      const said = log();
      await stop();
      throw new Error(`the lab's sshd did not listen on ${listenAddress}:${port}: ${said}`);
    }
  }
  const sshCommand = `ssh -F ${path.join(dir, 'ssh_config')}`;
  return {
    dir,
    port,
    url: `ssh://root@${name}`,
    urlFor: (user) => `ssh://${user}@${name}`,
    sshConfig: path.join(dir, 'ssh_config'),
    env: { HAFEN_SSH_COMMAND: sshCommand },
    ssh: (command) => ['ssh', '-F', path.join(dir, 'ssh_config'), `root@${name}`, '--', command],
    log,
    pid: sshd.pid!,
    ...(network ? { address: network.labAddress } : {}),
    inside: (command) => (network ? ['nsenter', '-t', String(sshd.pid), '-n', '-m', '--', ...command] : command),
    stop,
  };
}

/**
 * One HAFEN_SSH_COMMAND reaching every lab of `labs` (each by its own name): a client config in
 * `dir` that includes theirs.
 */
export function labsSshCommand(dir: string, labs: readonly SshLab[]): string {
  const config = path.join(dir, 'ssh_config');
  fs.writeFileSync(config, labs.map((l) => `Include ${l.sshConfig}\n`).join(''), { mode: 0o600 });
  return `ssh -F ${config}`;
}
