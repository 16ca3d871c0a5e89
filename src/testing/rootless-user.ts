/**
 * An unprivileged user for the rootless tests (issue 17): `hafen-rootless`, with subordinate ids
 * (/etc/subuid, /etc/subgid) and its own XDG_RUNTIME_DIR, made once per machine when a test asks for
 * it (tests run as root in CI), and a way to run a command as that user with a login-like
 * environment (HOME, XDG_RUNTIME_DIR, XDG_DATA_HOME, PATH) and nothing of root's.
 *
 *   describe.skipIf(unmet(requireRootlessUser()))('rootless', () => { const u = rootlessUser(); ... })
 *
 * The user is left on the machine (it owns nothing outside its home and runtime folder); what a test
 * makes as that user, the test removes.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Requirement } from './requirements.js';

/** The test user's facts. */
export interface RootlessUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** /run/user/<uid>, owned by the user, mode 0700 (as systemd-logind makes it). */
  runtimeDir: string;
  /** The environment a login shell of this user would have (no root variables leak in). */
  env: Record<string, string>;
}

export const ROOTLESS_USER = 'hafen-rootless';
/** The subordinate range given when useradd did not give one (it does where login.defs has SUB_UID_*). */
const ROOTLESS_SUBID_START = 300000;
const SUBID_COUNT = 65536;
/**
 * HAFEN_CGROUP_PARENT in the user's environment unless a test delegates a cgroup
 * (rootless-cgroup.ts): a name no test makes, so a run that asked for no cgroup gets none, even
 * while another test file has made the default `<hierarchy>/hafen-<uid>` (whose removal would
 * otherwise kill that run's containers). A test of the default path sets it to ''.
 */
export const NO_CGROUP_PARENT = 'hafen-rootless-test-none';

function lookup(): { uid: number; gid: number; home: string } | undefined {
  const r = spawnSync('getent', ['passwd', ROOTLESS_USER], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const fields = r.stdout.trim().split(':');
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5]! };
}

function hasSubids(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').some((line) => line.startsWith(`${ROOTLESS_USER}:`));
  } catch {
    return false;
  }
}

/** Makes the user (once; parallel test files race safely under a lock folder) and returns its facts. */
function ensureUser(): RootlessUser {
  const lock = '/run/hafen-rootless-user.lock';
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (i > 300) throw new Error(`${lock} held for 30 s; remove it if no test runs`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    if (!lookup()) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--no-user-group', '--gid', 'users', ROOTLESS_USER], { stdio: 'pipe' });
    const end = ROOTLESS_SUBID_START + SUBID_COUNT - 1;
    if (!hasSubids('/etc/subuid')) execFileSync('usermod', ['--add-subuids', `${ROOTLESS_SUBID_START}-${end}`, ROOTLESS_USER], { stdio: 'pipe' });
    if (!hasSubids('/etc/subgid')) execFileSync('usermod', ['--add-subgids', `${ROOTLESS_SUBID_START}-${end}`, ROOTLESS_USER], { stdio: 'pipe' });
    const user = lookup()!;
    const runtimeDir = `/run/user/${user.uid}`;
    fs.mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    fs.chownSync(runtimeDir, user.uid, user.gid);
    fs.chmodSync(runtimeDir, 0o700);
    return {
      name: ROOTLESS_USER,
      ...user,
      runtimeDir,
      env: {
        HOME: user.home,
        USER: ROOTLESS_USER,
        LOGNAME: ROOTLESS_USER,
        PATH: '/usr/local/bin:/usr/bin:/bin',
        XDG_RUNTIME_DIR: runtimeDir,
        XDG_DATA_HOME: path.join(user.home, '.local/share'),
        LANG: 'C.UTF-8',
        HAFEN_CGROUP_PARENT: NO_CGROUP_PARENT,
      },
    };
  } finally {
    fs.rmdirSync(lock);
  }
}

let made: RootlessUser | undefined;
/** The rootless test user, made when missing (needs root). */
export function rootlessUser(): RootlessUser {
  made ??= ensureUser();
  return made;
}

/** Root to make the user, and the tools a rootless runtime uses: newuidmap/newgidmap, unprivileged user namespaces. */
export function requireRootlessUser(): Requirement {
  return {
    name: 'rootless user',
    check: () => {
      if (process.getuid?.() !== 0) return 'making the rootless test user needs root';
      for (const tool of ['newuidmap', 'newgidmap']) {
        if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} is missing (Debian package uidmap)`;
      }
      try {
        rootlessUser();
      } catch (err) {
        return `cannot make the user ${ROOTLESS_USER}: ${(err as Error).message}`;
      }
      const probe = runAsRootlessUser('unshare', ['--user', '--map-root-user', 'true']);
      if (probe.status !== 0) return `unprivileged user namespaces do not work here: ${probe.stderr.trim()}`;
      return undefined;
    },
  };
}

/**
 * Runs `command args` as the rootless user (setpriv: no root capability, no supplementary group of
 * root's), in `cwd`, with the user's environment plus `env`. Synchronous; for long-running children
 * spawn `setpriv` with rootlessCommand().
 */
export function runAsRootlessUser(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const [cmd, ...rest] = rootlessCommand(command, args);
  return spawnSync(cmd!, rest, {
    encoding: 'utf8',
    env: { ...rootlessUser().env, ...options.env },
    cwd: options.cwd ?? rootlessUser().home,
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The argv that runs `command args` as the rootless user (its uid, gid, groups; no capabilities). */
export function rootlessCommand(command: string, args: string[]): string[] {
  const u = rootlessUser();
  return ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--inh-caps=-all', '--', command, ...args];
}

/** Gives `target` (a file, or a folder and everything below it) to the rootless user: a test's files become the user's own. */
export function giveToRootlessUser(target: string): void {
  const { uid, gid } = rootlessUser();
  fs.lchownSync(target, uid, gid);
  if (!fs.lstatSync(target).isDirectory()) return;
  for (const entry of fs.readdirSync(target, { recursive: true }) as string[]) fs.lchownSync(path.join(target, entry), uid, gid);
}

/**
 * Lets the rootless user log in over ssh with a key (the ssh lab's rootless remote host, issue 19):
 * useradd leaves its password `!` (locked), and sshd without PAM refuses a locked account even for
 * a key. `*` is no password either, but not a lock.
 */
export function allowRootlessKeyLogin(): void {
  const shadow = spawnSync('getent', ['shadow', rootlessUser().name], { encoding: 'utf8' }).stdout;
  if (shadow.split(':')[1]?.startsWith('!')) execFileSync('usermod', ['-p', '*', rootlessUser().name], { stdio: 'pipe' });
}
