/**
 * Issue 19: the embedded runtime on "another host", driven over ssh. The test's own sshd (the ssh
 * lab, src/testing/ssh-lab.ts) stands for the remote host; the CLI runs here with HAFEN_HOST and the
 * lab's client config, and the remote hafen keeps its state under a root of its own (given in
 * HAFEN_REMOTE_COMMAND), so what is left "there" and "here" is checked apart: the example stack's
 * e2e runner passes through the channel, its web port answers here after `up -d`, `logs` and
 * `exec` work, a connection dropped mid-`up` leaves what `down -v` removes, and `down -v` leaves
 * nothing on either side, no forwarder included. A missing bind source is made there, not here; an
 * attached `run` gets stdin and (under `script`) a terminal, as `exec -it` does; `stop` and `kill`
 * work. Failures name the host and how.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { pidAlive as alive } from '../src/testing/pid-alive.js';
import { argvOf, childPids } from '../src/testing/child-pids.js';
import { forwarderFile, type ForwarderRecord } from '../src/remote/port-forwarder.js';
import { localRootFor } from '../src/remote/open-remote.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { version } from '../src/version.js';
import { cliPath, repoRoot, stack, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

const example = path.join(repoRoot, 'stack.example.yaml');

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('nsenter'), requireSshd()))('the embedded runtime on another host over ssh (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  /** The "remote" host's state root, and this machine's. */
  let remoteRoot: string;
  let localRoot: string;
  const project = `rm${process.pid}`;

  const env = (over: Record<string, string> = {}): Record<string, string> => ({
    ...lab.env,
    HAFEN_HOST: lab.url,
    HAFEN_REMOTE_COMMAND: `HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=10.235.0.0/16:24 ${process.execPath} ${cliPath}`,
    HAFEN_ROOT: localRoot,
    HAFEN_SUBNET_POOL: '10.239.0.0/16:24',
    ...over,
  });
  const run = (args: string[], over: Record<string, string> = {}, timeout = 180_000): CliResult => stack(['-f', example, '-p', project, ...args], { env: env(over), timeout });
  /** This machine's bookkeeping for the lab host. */
  const hostRoot = (): string => localRootFor(parseSshTarget(lab.url), localRoot);
  const forwarder = (): ForwarderRecord | undefined => {
    const file = forwarderFile(hostRoot(), project);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ForwarderRecord) : undefined;
  };
  /** Nothing of the project on either side: the remote root's leak check, this machine's, and no forwarder. */
  const expectNothingLeft = (): void => {
    expect(stackLeftovers(project, remoteRoot)).toEqual([]);
    expect(stackLeftovers(project, hostRoot())).toEqual([]);
    expect(stackLeftovers(project, localRoot)).toEqual([]);
    expect(forwarder()).toBeUndefined();
  };

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    lab = await startSshLab();
  }, 60_000);

  afterAll(async () => {
    try {
      const f = lab && forwarder();
      if (lab) run(['down', '-v']);
      if (f && alive(f.pid)) process.kill(f.pid, 'SIGKILL');
    } finally {
      // Even when `down` cannot run (no dist/ during a rebuild: stack() throws), the lab's sshd goes.
      await lab?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('brings the example stack up there: its e2e runner passes through the channel', () => {
    const r = run(['up', '--exit-code-from', 'e2e', '--progress', 'plain']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('e2e: all checks passed');
    // Its published port was forwarded while it ran, and the forwarder went with it.
    expect(r.stderr).toMatch(/forwarding 127\.0\.0\.1:\d+ -> hafen-ssh-lab:\d+/);
    expect(forwarder()).toBeUndefined();
    // The containers, the image built from ./examples/shop and the project's state are on the remote side only.
    expect(fs.existsSync(path.join(remoteRoot, 'projects', project))).toBe(true);
    expect(fs.readdirSync(path.join(remoteRoot, 'images/refs')).some((f) => f.startsWith(`${project}-web`))).toBe(true);
    expect(fs.existsSync(path.join(localRoot, 'images'))).toBe(false);
    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expectNothingLeft();
  }, 400_000);

  it('up -d: the web port answers here through the forwarder; port, ps, logs and exec work; down -v leaves nothing there or here', async () => {
    const up = run(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/forwarding 127\.0\.0\.1:\d+ -> hafen-ssh-lab:\d+/);
    const port = run(['port', 'web', '80']);
    expect(port.code, port.stderr).toBe(0);
    const local = port.stdout.trim();
    const record = forwarder()!;
    expect(record.forwards.map((f) => `${f.local.hostIp}:${f.local.hostPort}`)).toEqual([local]);
    expect(alive(record.pid)).toBe(true);
    // What the container publishes on the remote host is another port; this one is the forwarder's.
    expect(record.forwards[0]!.remote.hostPort).not.toBe(Number(local.split(':')[1]));
    const page = await (await fetch(`http://${local}/`)).text();
    expect(page).toContain('hafen shop');
    const products = await (await fetch(`http://${local}/api/products`)).json();
    expect(Array.isArray(products) || typeof products === 'object').toBe(true);

    const ps = run(['ps']);
    expect(ps.stdout).toContain(`${local}->80/tcp`);
    expect(ps.stderr).not.toMatch(/supervisor/);
    let logs = run(['logs', 'e2e']);
    for (let i = 0; i < 40 && !logs.stdout.includes('all checks passed'); i++) {
      await sleep(500);
      logs = run(['logs', 'e2e']);
    }
    expect(logs.stdout).toContain('e2e: all checks passed');
    const exec = run(['exec', 'web', 'cat', '/etc/hostname']);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout.trim()).toBe('web-1');
    const failing = run(['exec', 'web', 'sh', '-c', 'exit 3']);
    expect(failing.code).toBe(3);

    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(alive(record.pid)).toBe(false);
    await expect(fetch(`http://${local}/`)).rejects.toThrow();
    expectNothingLeft();
  }, 400_000);

  it('a connection dropped mid-up says so; the project is left as a killed command leaves it, and down -v removes it all', async () => {
    const child = spawn(process.execPath, ['--', cliPath, '-f', example, '-p', project, 'up', '-d', '--progress', 'plain'], { env: { ...process.env, NO_COLOR: '1', ...env() }, cwd: repoRoot });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Once the first container runs there, the command's ssh process goes (as a dropped connection would).
    for (let i = 0; i < 600 && !/db\s+started/.test(stderr); i++) await sleep(100);
    expect(stderr).toMatch(/db\s+started/);
    const sshPids = childPids(child.pid!).filter((pid) => argvOf(pid)[0] === 'ssh');
    expect(sshPids.length).toBe(1);
    process.kill(sshPids[0]!, 'SIGKILL');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toContain(`remote host ${lab.url}: the connection was lost`);
    expect(stackLeftovers(project, remoteRoot).length).toBeGreaterThan(0);
    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expectNothingLeft();
  }, 400_000);

  it('build sends the context, .dockerignore applied: the remote side builds though the folder is hidden there', () => {
    const ctx = path.join(dir, 'ctx');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM host\nCOPY . /ctx/\nCMD ["ls", "-A", "/ctx"]\n');
    fs.writeFileSync(path.join(ctx, 'kept.txt'), 'kept\n');
    fs.writeFileSync(path.join(ctx, 'ignored.txt'), 'ignored\n');
    fs.writeFileSync(path.join(ctx, '.dockerignore'), 'ignored.txt\n');
    const file = path.join(dir, 'build.yaml');
    fs.writeFileSync(file, `name: ${project}\nservices:\n  app:\n    build: ./ctx\n`);
    // The remote hafen runs in a mount namespace where the context folder is an empty tmpfs.
    const hide = (command: string): string => `unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs ${ctx} && exec "$0" "$@"' ${command}`;
    const remote = `env HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=10.235.0.0/16:24 ${process.execPath} ${cliPath}`;
    const [ssh, ...sshArgs] = lab.ssh(hide(`ls -A ${ctx}`));
    const seen = spawnSync(ssh!, sshArgs, { encoding: 'utf8' });
    expect(seen.status, seen.stderr).toBe(0);
    expect(seen.stdout.trim()).toBe(''); // hidden there indeed
    const build = stack(['-f', file, 'build'], { env: env({ HAFEN_REMOTE_COMMAND: hide(remote) }), timeout: 180_000 });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toContain(`Built ${project}-app`);
    expect(fs.readdirSync(path.join(remoteRoot, 'images/refs')).some((f) => f.startsWith(`${project}-app`))).toBe(true);
    const run = stack(['-f', file, 'run', '--rm', 'app'], { env: env(), timeout: 180_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l !== '').sort()).toEqual(['.dockerignore', 'Dockerfile', 'kept.txt']);
    const down = stack(['-f', file, 'down', '-v'], { env: env(), timeout: 180_000 });
    expect(down.code, down.stderr).toBe(0);
    expectNothingLeft();
  }, 400_000);

  it('bind sources are the remote host\'s paths: up makes a missing one there, not here', () => {
    const binds = path.join(dir, 'binds');
    const data = path.join(binds, 'data');
    fs.mkdirSync(binds);
    const file = path.join(dir, 'binds.yaml');
    fs.writeFileSync(file, `name: ${project}\nservices:\n  app:\n    image: host\n    command: ["sh", "-c", "echo made there > /data/note; exec sleep 600"]\n    volumes: ["${data}:/data"]\n`);
    // The remote hafen (and the supervisor it starts) runs in a mount namespace where binds/ is a tmpfs of its own.
    const remote = `env HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=10.235.0.0/16:24 ${process.execPath} ${cliPath}`;
    const hidden = `unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs ${binds} && exec "$0" "$@"' ${remote}`;
    const up = stack(['-f', file, 'up', '-d', '--progress', 'plain'], { env: env({ HAFEN_REMOTE_COMMAND: hidden }), timeout: 180_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`created ${data} on ${lab.url} for services.app.volumes[0]`);
    expect(fs.existsSync(data)).toBe(false);
    let note = stack(['-f', file, 'exec', 'app', 'cat', '/data/note'], { env: env(), timeout: 60_000 });
    for (let i = 0; i < 20 && note.code !== 0; i++) note = stack(['-f', file, 'exec', 'app', 'cat', '/data/note'], { env: env(), timeout: 60_000 });
    expect(note.stdout.trim(), note.stderr).toBe('made there');
    const down = stack(['-f', file, 'down', '-v'], { env: env(), timeout: 180_000 });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).not.toContain('kept the folders');
    expect(fs.existsSync(data)).toBe(false);
    expectNothingLeft();
  }, 400_000);

  it('run attaches stdin and a terminal through the channel; exec -it gets a terminal; stop and kill work there', () => {
    const file = path.join(dir, 'attach.yaml');
    fs.writeFileSync(file, `name: ${project}\nservices:\n  app:\n    image: host\n    command: ["sleep", "600"]\n  other:\n    image: host\n    command: ["sleep", "600"]\n`);
    const cli = (args: string[], input?: string): CliResult => {
      const r = spawnSync(process.execPath, ['--', cliPath, '-f', file, ...args], { env: { ...process.env, NO_COLOR: '1', ...env() }, encoding: 'utf8', timeout: 180_000, ...(input !== undefined ? { input } : {}) });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    /** `stack ARGS` in a terminal of its own (`script`: a real pty as stdin and stdout). */
    const inTerminal = (args: string[]): CliResult => {
      const line = [process.execPath, '--', cliPath, '-f', file, ...args].map((w) => `'${w}'`).join(' ');
      const r = spawnSync('script', ['-qfec', line, '/dev/null'], { env: { ...process.env, NO_COLOR: '1', ...env() }, encoding: 'utf8', timeout: 180_000, input: '' });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    // Piped stdin reaches the command there, whose exit code is the CLI's; -T: no terminal.
    const piped = cli(['run', '--rm', '-T', 'app', 'sh', '-c', 'read x; echo "got $x"; tty; exit 5'], 'hello\n');
    expect(piped.stdout, piped.stderr).toContain('got hello');
    expect(piped.stdout).toContain('not a tty');
    expect(piped.code).toBe(5);
    // In a terminal: the container's command gets one (a pts there), through ssh -t.
    const tty = inTerminal(['run', '--rm', 'app', 'tty']);
    expect(tty.stdout, tty.stderr).toMatch(/\/dev\/pts\/\d+/);
    expect(tty.code).toBe(0);

    const up = cli(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const execTty = inTerminal(['exec', 'app', 'sh', '-c', 'tty; exit 4']);
    expect(execTty.stdout, execTty.stderr).toMatch(/\/dev\/pts\/\d+/);
    expect(execTty.code).toBe(4);
    const stop = cli(['stop', 'app']);
    expect(stop.code, stop.stderr).toBe(0);
    const kill = cli(['kill', 'other']);
    expect(kill.code, kill.stderr).toBe(0);
    const ps = cli(['ps', '-a', '--format', 'json']);
    expect(ps.code, ps.stderr).toBe(0);
    const rows = ps.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { Service: string; State: string });
    const states = Object.fromEntries(rows.map((c) => [c.Service, c.State]));
    expect(states).toEqual({ app: 'exited', other: 'exited' });
    const down = cli(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expectNothingLeft();
  }, 400_000);

  it('says which host failed and how: hafen missing, another version, login refused, host key unknown', () => {
    const missing = run(['ps'], { HAFEN_REMOTE_COMMAND: 'hafen-not-installed-here' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`error: remote host ${lab.url}: hafen is not installed there`);
    expect(missing.stderr).toContain(`npm install -g hafen@${version}`);

    const hello = JSON.stringify({ hello: { version: '0.0.1-old', uid: 0, node: 'v20', platform: 'linux/x64' } });
    const other = run(['ps'], { HAFEN_REMOTE_COMMAND: `echo '${hello}'; cat >/dev/null; true` });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`remote host ${lab.url} runs hafen 0.0.1-old, this is hafen ${version}: run \`npm install -g hafen@${version}\` there`);

    const config = fs.readFileSync(path.join(lab.dir, 'ssh_config'), 'utf8');
    const stranger = path.join(dir, 'stranger');
    fs.writeFileSync(path.join(dir, 'ssh_config_key'), config.replace(/IdentityFile .*/, `IdentityFile ${stranger}`));
    spawnKeygen(stranger);
    const refused = run(['ps'], { HAFEN_SSH_COMMAND: `ssh -F ${path.join(dir, 'ssh_config_key')}` });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`remote host ${lab.url}: ssh login refused`);

    fs.writeFileSync(path.join(dir, 'known_hosts_other'), '');
    fs.writeFileSync(path.join(dir, 'ssh_config_hostkey'), config.replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${path.join(dir, 'known_hosts_other')}`));
    const unknown = run(['ps'], { HAFEN_SSH_COMMAND: `ssh -F ${path.join(dir, 'ssh_config_hostkey')}` });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`remote host ${lab.url}: host key not trusted`);
    for (const r of [missing, other, refused, unknown]) expect(r.stderr).not.toMatch(/a bug in hafen|^\s+at /m);
    expectNothingLeft();
  }, 120_000);
});


function spawnKeygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
}
