/**
 * Issue 19's point is a CLI on macOS or Windows driving a Linux host over ssh. These tests run the
 * CLI's remote path here with what only Linux has taken away: as a user without root, in a mount
 * namespace where /proc, /sys and /run are empty, the native addon's folders (prebuilds/, build/)
 * are empty, PATH holds nothing but `ssh` (no ip, nsenter, unshare, mount, ps), and no XDG
 * variable or HAFEN_ROOT is set. `up -d`, `port`, `ps`, `exec`, `logs` and `down -v` must work there, the forwarder
 * recorded and stopped without /proc. Then the other end: a remote user without root whose user
 * namespaces cannot be made (their own namespace's user.max_user_namespaces is 0, for that process
 * tree only) gets one line naming the host and what to do, exit 2.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRootFor } from '../src/remote/open-remote.js';
import { forwarderFile, type ForwarderRecord } from '../src/remote/port-forwarder.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { pidAlive } from '../src/testing/pid-alive.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireRootlessUser, rootlessUser } from '../src/testing/rootless-user.js';
import { LAB_HOST, requireSshd, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { cliPath, repoRoot, stack, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

/** The remote side's address pool (this file's: 10.202). */
const REMOTE_POOL = '10.202.0.0/16:24';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('unshare'), requireSshd(), requireRootlessUser()))('the CLI of a remote host needs nothing of Linux here (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let home: string;
  let remoteRoot: string;
  const project = `rp${process.pid}`;
  /** The remote hafen: root there, its own state root. */
  const remote = (): string => `HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=${REMOTE_POOL} ${process.execPath} ${cliPath}`;
  /** Where this machine's bookkeeping for the lab goes when nothing names a root: the user's data folder. */
  const hostRoot = (): string => localRootFor(parseSshTarget(lab.url), path.join(home, '.local/share/hafen'));
  const forwarder = (of: string = project): ForwarderRecord | undefined => {
    const file = forwarderFile(hostRoot(), of);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ForwarderRecord) : undefined;
  };

  /**
   * `stack ARGS` as the test user, in a mount namespace of its own with /proc, /sys, /run and the
   * native folders empty, PATH only `ssh`, the environment only what is named here.
   */
  const bare = (args: string[], over: Record<string, string> = {}): CliResult => inBare(['--', cliPath, ...args], over);
  /** `node ARGV` in that place (bare's: the CLI; the hiding check: a probe of what it sees). */
  const inBare = (nodeArgv: string[], over: Record<string, string> = {}): CliResult => {
    const u = rootlessUser();
    const env = { HOME: home, PATH: path.join(home, 'bin'), NO_COLOR: '1', HAFEN_HOST: lab.url, HAFEN_SSH_COMMAND: `ssh -F ${path.join(home, 'ssh_config')}`, HAFEN_REMOTE_COMMAND: remote(), ...over };
    const hide = ['prebuilds', 'build'].map((d) => path.join(repoRoot, d)).filter((d) => fs.existsSync(d));
    const script = [
      'set -e',
      ...[...hide, '/sys', '/run', '/proc'].map((d) => `mount -t tmpfs -o mode=755 tmpfs ${d}`),
      `exec setpriv --reuid=${u.uid} --regid=${u.gid} --clear-groups --inh-caps=-all -- env -i "$@"`,
    ].join('\n');
    const argv = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, ...nodeArgv];
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], { cwd: home, encoding: 'utf8', timeout: 180_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-portable-'));
    fs.chmodSync(dir, 0o755);
    remoteRoot = path.join(dir, 'remote-root');
    home = path.join(dir, 'home');
    lab = await startSshLab();
    // The user's own ssh setup: the lab's client key and known host, a config naming them.
    const u = rootlessUser();
    fs.mkdirSync(path.join(home, 'bin'), { recursive: true });
    fs.symlinkSync(spawnSync('sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).stdout.trim(), path.join(home, 'bin', 'ssh'));
    for (const f of ['client_ed25519', 'known_hosts']) fs.copyFileSync(path.join(lab.dir, f), path.join(home, f));
    const config = fs.readFileSync(path.join(lab.dir, 'ssh_config'), 'utf8').replaceAll(lab.dir, home);
    fs.writeFileSync(path.join(home, 'ssh_config'), config);
    fs.writeFileSync(
      path.join(home, 'stack.yaml'),
      [
        `name: ${project}`,
        'services:',
        '  web:',
        '    image: host',
        `    command: ["${process.execPath}", "-e", "require('http').createServer((q, s) => s.end('answered there')).listen(8080)"]`,
        '    ports: ["8080"]',
        '    ready: {tcp: 8080}',
        '',
      ].join('\n'),
    );
    spawnSync('chown', ['-R', `${u.uid}:${u.gid}`, home]);
    fs.chmodSync(home, 0o700);
    fs.chmodSync(path.join(home, 'client_ed25519'), 0o600);
  }, 60_000);

  afterAll(async () => {
    try {
      // Both tests' projects (the second's is `<project>s`), even when a test failed before its own `down`.
      for (const p of [project, `${project}s`]) {
        const f = lab && forwarder(p);
        if (lab) stack(['-p', p, 'down', '-v'], { env: { ...lab.env, HAFEN_HOST: lab.url, HAFEN_REMOTE_COMMAND: remote(), HAFEN_ROOT: path.join(dir, 'cleanup-root') }, timeout: 180_000 });
        if (f && pidAlive(f.pid)) process.kill(f.pid, 'SIGKILL');
      }
    } finally {
      await lab?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('without /proc, /sys, Linux tools, the native addon or XDG folders: up -d forwards the port here, port and ps show it, down -v stops it and leaves nothing', async () => {
    // The hiding is real: where bare runs the CLI, /proc, /sys and the native folders are empty and no Linux tool is on PATH.
    const probe = `const fs = require('fs'); console.log(JSON.stringify([${['/proc', '/sys', ...['prebuilds', 'build'].map((d) => path.join(repoRoot, d)).filter((d) => fs.existsSync(d))].map((d) => JSON.stringify(d)).join(', ')}].map((d) => fs.readdirSync(d).length).concat(process.env.PATH.split(':').flatMap((d) => fs.readdirSync(d)))))`;
    const seen = inBare(['-e', probe]);
    expect(seen.code, seen.stderr).toBe(0);
    expect(JSON.parse(seen.stdout)).toEqual([0, 0, ...['prebuilds', 'build'].filter((d) => fs.existsSync(path.join(repoRoot, d))).map(() => 0), 'ssh']);

    const up = bare(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(new RegExp(`forwarding 127\\.0\\.0\\.1:\\d+ -> ${LAB_HOST}:\\d+`));
    // The bookkeeping is in the user's data folder, the forwarder recorded without /proc's start time.
    const record = forwarder();
    expect(record, `no forwarder record under ${hostRoot()}`).toBeDefined();
    expect(record!.stamp).not.toMatch(/^proc:/);
    expect(pidAlive(record!.pid)).toBe(true);

    const port = bare(['port', 'web', '8080']);
    expect(port.code, port.stderr).toBe(0);
    const local = port.stdout.trim();
    expect(local).toBe(`127.0.0.1:${record!.forwards[0]!.local.hostPort}`);
    expect(await (await fetch(`http://${local}/`)).text()).toBe('answered there');
    const ps = bare(['ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toContain(`${local}->8080/tcp`);

    const exec = bare(['exec', '-T', 'web', 'cat', '/etc/hostname']);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout.trim()).toBe('web-1');
    const logs = bare(['logs', 'web']);
    expect(logs.code, logs.stderr).toBe(0);

    // A second up -d finds the running forwarder by its record (no /proc) and replaces it.
    const again = bare(['up', '-d', '--progress', 'plain']);
    expect(again.code, again.stderr).toBe(0);
    expect(pidAlive(record!.pid)).toBe(false);

    const down = bare(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(forwarder()).toBeUndefined();
    await expect(fetch(`http://${local}/`)).rejects.toThrow();
    expect(stackLeftovers(project, remoteRoot)).toEqual([]);
    expect(stackLeftovers(project, hostRoot())).toEqual([]);
    for (const r of [up, port, ps, exec, logs, again, down]) expect(r.stderr).not.toMatch(/a bug in hafen|^\s+at |ENOENT|\/proc/m);
  }, 400_000);

  it('a stack whose services all run on another host\'s embedded ship needs no runtime here either: up -d, port, ps and down -v work in the same bare place', async () => {
    const shipped = `${project}s`;
    const file = path.join(home, 'ships.yaml');
    const web = fs.readFileSync(path.join(home, 'stack.yaml'), 'utf8').split('\n').slice(2).join('\n');
    fs.writeFileSync(file, [`name: ${shipped}`, 'ships:', `  east: {runtime: embedded, host: "${lab.url}"}`, 'services:', web.replace('    image: host', '    ship: east\n    image: host')].join('\n'));
    fs.chownSync(file, rootlessUser().uid, rootlessUser().gid);
    const cli = (args: string[]): CliResult => bare(['-f', file, ...args], { HAFEN_HOST: '' });
    const up = cli(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/using the docker runtime/);
    const port = cli(['port', 'web', '8080']);
    expect(port.code, port.stderr).toBe(0);
    const local = port.stdout.trim();
    expect(local).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`http://${local}/`)).text()).toBe('answered there');
    const ps = cli(['ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toContain(`${local}->8080/tcp`);
    // Its containers are served by the supervisor there: no warning about this machine's.
    expect(ps.stderr).not.toContain('is not running');
    const down = cli(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    await expect(fetch(`http://${local}/`)).rejects.toThrow();
    expect(stackLeftovers(shipped, remoteRoot)).toEqual([]);
    expect(stackLeftovers(shipped, hostRoot())).toEqual([]);
    // Nothing of the project was made in this machine's own state (no supervisor, ledger or project folder).
    expect(fs.existsSync(path.join(home, '.local/share/hafen/projects', shipped))).toBe(false);
    for (const r of [up, port, ps, down]) expect(r.stderr).not.toMatch(/a bug in hafen|^\s+at |ENOENT|\/proc/m);
  }, 400_000);

  /**
   * A wrapper running `command` there as the test user in a user namespace of its own whose
   * user.max_user_namespaces is `max` (for that process tree only: the machine's sysctl is
   * untouched); with `nested`, the command runs one namespace further down, where that limit reads
   * as unlimited yet the one it used up still refuses (as a seccomp filter or an LSM would, unseen).
   */
  const noUserns = (command: string, max: number, nested: boolean): string => {
    const u = rootlessUser();
    const inner = nested ? 'unshare --user --map-current-user -- ' : '';
    return `setpriv --reuid=${u.uid} --regid=${u.gid} --clear-groups --inh-caps=-all -- unshare --user --map-current-user --keep-caps sh -c 'echo ${max} > /proc/sys/user/max_user_namespaces && exec setpriv --ambient-caps=-all --inh-caps=-all -- ${inner}"$0" "$@"' ${command}`;
  };

  it.each([
    ['the switch says so (user.max_user_namespaces = 0)', 0, false, 'user namespaces are disabled (user.max_user_namespaces = 0)'],
    ['only trying says so (an enclosing limit)', 1, true, 'making a user namespace fails (unshare --user: unshare failed: No space left on device)'],
  ])('a remote user without root who cannot make user namespaces, %s: one line naming the host, why and what to do, exit 2, nothing made there', (_, max, nested, why) => {
    const u = rootlessUser();
    const [ssh, ...sshArgs] = lab.ssh(noUserns(`sh -c 'cat /proc/sys/user/max_user_namespaces; unshare --user true'`, max, nested));
    const tried = spawnSync(ssh!, sshArgs, { encoding: 'utf8' });
    expect(tried.status).not.toBe(0); // the restriction is real there
    expect(tried.stderr).toMatch(/No space left on device/);
    expect(tried.stdout.trim()).toBe(nested ? '2147483647' : '0'); // and what the switch shows

    const other = `${project}n`;
    const refused = stack(['-p', other, 'up', '-d'], { cwd: home, env: { ...lab.env, HAFEN_HOST: lab.url, HAFEN_REMOTE_COMMAND: noUserns(`env ${remote()}`, max, nested), HAFEN_ROOT: path.join(dir, 'local-root') } });
    expect(refused.code).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines, refused.stderr).toHaveLength(1);
    expect(lines[0]).toBe(`error: remote host ${lab.url}: the embedded runtime cannot run there: uid ${u.uid} is not root, and ${why} (log in as root, or allow user namespaces there)`);
    expect(fs.existsSync(path.join(remoteRoot, 'projects', other))).toBe(false);
  }, 120_000);
});
