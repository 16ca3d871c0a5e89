/**
 * An OpenSSH server of the test's own (issue 19), so the remote-host tests drive "another host"
 * through a real ssh connection: Debian's sshd on a free loopback port with its own host key and
 * config, a throwaway client key, a known_hosts naming only that key, and a client config the CLI
 * is pointed at with HAFEN_SSH_COMMAND (`ssh -F <lab>/ssh_config`), never the machine's ~/.ssh.
 * Root logs in with the key (the remote side may run as root); `stop()` kills sshd and removes the
 * lab's folder.
 *
 *   const lab = await startSshLab();  // HAFEN_HOST=lab.url, env: lab.env
 *   ...
 *   await lab.stop();
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  /** `ssh://root@hafen-ssh-lab`: what HAFEN_HOST is set to. */
  url: string;
  /** What the CLI needs to reach it: HAFEN_SSH_COMMAND with the lab's client config. */
  env: Record<string, string>;
  /** `ssh -F <config> hafen-ssh-lab` argv, for a test's own commands on the "remote" side. */
  ssh(command: string): string[];
  /** sshd's log so far. */
  log(): string;
  /** The pid of sshd (the listener; sessions are its children). */
  pid: number;
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

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Starts a lab sshd; rejects (with sshd's log) when it does not listen within 10 s. */
export async function startSshLab(): Promise<SshLab> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-ssh-lab-'));
  fs.chmodSync(dir, 0o700);
  const port = await freePort();
  const hostKey = keygen(path.join(dir, 'host_ed25519'), 'hafen-ssh-lab-host');
  const clientKey = keygen(path.join(dir, 'client_ed25519'), 'hafen-ssh-lab-client');
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${clientKey}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'known_hosts'), `${LAB_HOST} ${hostKey.split(' ').slice(0, 2).join(' ')}\n`, { mode: 0o600 });
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
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
      // Port forwarding is how published ports reach the local machine (the forwarder's -L).
      'AllowTcpForwarding local',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'ssh_config'),
    [
      `Host ${LAB_HOST}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  HostKeyAlias ${LAB_HOST}`,
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
  const sshd: ChildProcess = spawn('setpriv', ['--pdeathsig', 'KILL', '/usr/sbin/sshd', '-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', fs.openSync(logFile, 'a')] });
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
    fs.rmSync(dir, { recursive: true, force: true });
  };
  for (let t0 = Date.now(); !(await listening(port)); await sleep(50)) {
    if (exited || Date.now() - t0 > 10_000) {
      const said = log();
      await stop();
      throw new Error(`the lab's sshd did not listen on 127.0.0.1:${port}: ${said}`);
    }
  }
  const sshCommand = `ssh -F ${path.join(dir, 'ssh_config')}`;
  return {
    dir,
    port,
    url: `ssh://root@${LAB_HOST}`,
    env: { HAFEN_SSH_COMMAND: sshCommand },
    ssh: (command) => ['ssh', '-F', path.join(dir, 'ssh_config'), `root@${LAB_HOST}`, '--', command],
    log,
    pid: sshd.pid!,
    stop,
  };
}
