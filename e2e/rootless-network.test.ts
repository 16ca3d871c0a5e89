/**
 * The rootless network through the CLI (issue 17), as the unprivileged test user `hafen-rootless`:
 * a stack with a fixed and a random published port comes up on the embedded runtime; the ports
 * answer on the host's 127.0.0.1 only, `stack port` names the random one, services reach each other
 * by name but not across networks, and a container reaches a server this test runs on the host
 * through slirp4netns by the host's own address (`host-gateway`), unless its network is internal, but
 * not the host's loopback (10.0.2.2 is closed, as for root's containers and Docker's rootless mode). `down -v`
 * leaves nothing of the user's: no process (holder, keeper, slirp4netns, relay, supervisor), no
 * listening port, no link, mount or netns, no file but the image store. Where the user cannot open /dev/net/tun, `up` says so in one
 * line with what to run, and a stack with published ports works all the same. And the README's first
 * command brings the example up and its e2e runner passes, as that user. Where slirp4netns is not
 * installed (PATH without it), pasta carries outbound traffic the same way; with neither, `up` says
 * so in one line.
 *
 * Each scenario has its own XDG folders; subnets from 10.210.0.0/16 (and 10.215.0.0/16 for pasta's).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProcStat } from '../src/runtime/embedded/process-info.js';
import { listeners, userCanOpenTun } from '../src/runtime/embedded/rootless/network-test-holder.js';
import { freePort } from '../src/testing/free-port.js';
import { requireCommand, requireRoot, unmet, type Requirement } from '../src/testing/requirements.js';
import { requireRootlessUser, rootlessUser } from '../src/testing/rootless-user.js';
import { cliPath, repoRoot } from './cli.js';
import { userScenario, type UserScenario } from './rootless-scenario.js';

const POOL = '10.210.0.0/16:24';
const REPO = repoRoot;

/** /dev/net/tun open to the user (.ci/run makes it 0666, as udev does on desktops). */
function requireUserTun(): Requirement {
  return { name: 'tun for the rootless user', check: () => (userCanOpenTun() ? undefined : '/dev/net/tun is not open to the user (root: chmod 0666 /dev/net/tun, as .ci/run does)') };
}

const base = [requireRoot(), requireCommand('busybox'), requireCommand('slirp4netns'), requireCommand('nsenter'), requireCommand('ss'), requireCommand('unshare'), requireRootlessUser()];

/** One TCP connection to host:port; what the server said, or the error's code. */
function tcpRead(host: string, port: number, send = ''): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3000 });
    let text = '';
    s.on('connect', () => s.end(send));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('timeout', () => (s.destroy(), resolve('ETIMEDOUT')));
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function httpBody(port: number, host = '127.0.0.1'): Promise<string> {
  const text = await tcpRead(host, port, 'GET / HTTP/1.0\r\nHost: x\r\n\r\n');
  return text.includes('\r\n\r\n') ? text.split('\r\n\r\n')[1]! : text;
}

/** A host address that is not loopback (the ports must not answer there). */
function otherHostAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

/** Starts a server on every address of the host (loopback included) in a process of its own (the CLI runs synchronously here); resolves with it and its port. */
async function startHostServer(script: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', `${script}.listen(0, '0.0.0.0', function () { console.log(this.address().port) })`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('the host server did not start')));
  });
  return { child, port };
}

/** Ends a scenario with a host server: the server stopped, the user's project taken down, the folder removed. */
function endScenario(s: UserScenario | undefined, hostServer: ChildProcess | undefined): void {
  hostServer?.kill();
  if (!s) return;
  s.stack(['down', '-v', '-t', '1']);
  s.remove();
}

/**
 * The scenarios' stack: `web` (busybox httpd serving `page` on 8080 and 8081) publishing `ports`,
 * `client` (naming the host by host-gateway), and `more` lines after them.
 */
function webStack(project: string, page: string, ports: string[], more: string[] = []): string {
  return [
    `name: ${project}`,
    'services:',
    '  web:',
    '    image: host',
    `    command: ["sh", "-c", "mkdir -p /tmp/www && echo ${page} > /tmp/www/index.html && busybox httpd -p 8081 -h /tmp/www && exec busybox httpd -f -p 8080 -h /tmp/www"]`,
    `    ports: [${ports.map((p) => JSON.stringify(p)).join(', ')}]`,
    '  client:',
    '    image: host',
    '    command: ["sleep", "1000"]',
    '    extra_hosts: ["host.docker.internal:host-gateway"]',
    ...more,
    '',
  ].join('\n');
}

describe.skipIf(unmet(...base, requireUserTun()))('rootless network: published ports, names and outbound traffic as a user without root', () => {
  const project = `rln${randomBytes(3).toString('hex')}`;
  let s: UserScenario;
  let hostServer: ChildProcess | undefined;
  let hostPort = 0;
  let fixed = 0;

  beforeAll(async () => {
    s = userScenario('hafen-rlnet-', POOL);
    fixed = await freePort();
    ({ child: hostServer, port: hostPort } = await startHostServer("require('net').createServer((c) => c.end('hello-from-the-host\\n'))"));
    s.write(
      'stack.yaml',
      webStack(project, 'hello-from-web', [`127.0.0.1:${fixed}:8080`, '8081'], [
        '  apart:',
        '    image: host',
        '    command: ["sleep", "1000"]',
        '    networks: [side]',
        '  sealed:',
        '    image: host',
        '    command: ["sleep", "1000"]',
        '    networks: [inner]',
        'networks:',
        '  side: {}',
        '  inner: {internal: true}',
      ]),
    );
  }, 60_000);

  afterAll(() => endScenario(s, hostServer), 120_000);

  it('serves both ports on 127.0.0.1 only, names the random one, reaches peers by name and the host through slirp4netns, and down -v leaves nothing', async () => {
    const up = s.stack(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/no outbound network|using the docker runtime|\n\s+at /);
    const held = s.holder();
    expect(held).toBeDefined();

    // The fixed port, on 127.0.0.1 and nowhere else.
    expect(listeners(fixed, 'tcp')).toEqual([`127.0.0.1:${fixed}`]);
    expect(await httpBody(fixed)).toBe('hello-from-web\n');
    const other = otherHostAddress();
    if (other) expect(await httpBody(fixed, other)).toBe('ECONNREFUSED');

    // The random one: `stack port` prints where it is, and it answers there.
    const port = s.stack(['port', 'web', '8081']);
    expect(port.code, port.stderr).toBe(0);
    const m = /^127\.0\.0\.1:(\d+)\n$/.exec(port.stdout);
    expect(m, port.stdout).not.toBeNull();
    const random = Number(m![1]);
    expect(random).not.toBe(fixed);
    expect(listeners(random, 'tcp')).toEqual([`127.0.0.1:${random}`]);
    expect(await httpBody(random)).toBe('hello-from-web\n');
    const ps = s.stack(['ps', '--format', 'json']);
    expect(ps.stdout).toContain(`127.0.0.1:${random}->8081/tcp`);

    // By name on their network; not from another network of the user's.
    const byName = s.stack(['exec', 'client', 'busybox', 'wget', '-qO-', 'http://web:8080/']);
    expect(byName.stdout, byName.stderr).toBe('hello-from-web\n');
    const webIp = s.stack(['exec', 'web', 'busybox', 'hostname', '-i']).stdout.trim();
    expect(webIp).toMatch(/^10\.210\.\d+\.\d+$/);
    const across = s.stack(['exec', 'apart', 'busybox', 'nc', '-w', '2', webIp, '8080'], { timeoutMs: 20_000 });
    expect(across.code).not.toBe(0);

    // Outbound: the host by its own address through slirp4netns, by host-gateway's name and by the
    // address; never its loopback (slirp4netns's 10.0.2.2 is closed unless HAFEN_ROOTLESS_HOST_LOOPBACK=1).
    const hostAddress = otherHostAddress();
    expect(hostAddress, 'the host needs a non-loopback IPv4 address').toBeDefined();
    expect(s.stack(['exec', 'client', 'cat', '/etc/hosts']).stdout).toMatch(new RegExp(`^${hostAddress!.replace(/\./g, '\\.')}\\s+host\\.docker\\.internal\\b`, 'm'));
    const viaName = s.stack(['exec', 'client', 'busybox', 'nc', '-w', '3', 'host.docker.internal', String(hostPort)]);
    expect(viaName.stdout, viaName.stderr).toBe('hello-from-the-host\n');
    const viaAddress = s.stack(['exec', 'apart', 'busybox', 'nc', '-w', '3', hostAddress!, String(hostPort)]);
    expect(viaAddress.stdout, viaAddress.stderr).toBe('hello-from-the-host\n');
    const loopback = s.stack(['exec', 'apart', 'busybox', 'nc', '-w', '2', '10.0.2.2', String(hostPort)], { timeoutMs: 20_000 });
    expect(loopback.stdout).toBe('');
    // An internal network has no way out: no default route, and its bridge does not forward.
    expect(s.stack(['exec', 'sealed', 'busybox', 'ip', 'route']).stdout).not.toContain('default');
    const sealed = s.stack(['exec', 'sealed', 'busybox', 'nc', '-w', '2', hostAddress!, String(hostPort)], { timeoutMs: 20_000 });
    expect(sealed.stdout).toBe('');
    expect(sealed.code).not.toBe(0);

    // The keeper holds the ports, not the supervisor: a supervisor killed leaves them answering, and
    // the next `up -d` (a new supervisor adopting the containers) gets the same ones again.
    const supervisor = spawnSync('pgrep', ['-u', String(s.user.uid), '-f', `supervisor[.]js .*--project ${project}$`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    expect(supervisor).toHaveLength(1);
    process.kill(Number(supervisor[0]), 'SIGKILL');
    expect(await httpBody(fixed)).toBe('hello-from-web\n');
    const again = s.stack(['up', '-d']);
    expect(again.code, again.stderr).toBe(0);
    expect(s.stack(['port', 'web', '8081']).stdout).toBe(`127.0.0.1:${random}\n`);
    expect(await httpBody(random)).toBe('hello-from-web\n');

    const down = s.stack(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(s.leftovers(project, held!.ns)).toEqual([]);
    expect(readProcStat(held!.pid)?.state ?? 'gone').toMatch(/^(gone|Z)$/);
    expect(listeners(fixed, 'tcp')).toEqual([]);
    expect(listeners(random, 'tcp')).toEqual([]);
  }, 240_000);
});

describe.skipIf(unmet(...base))('rootless network: no /dev/net/tun for the user', () => {
  const project = `rlt${randomBytes(3).toString('hex')}`;
  let s: UserScenario;

  beforeAll(() => {
    s = userScenario('hafen-rlnotun-', POOL);
    s.write('stack.yaml', webStack(project, 'no-tun-needed', ['8080']));
  });

  afterAll(() => {
    if (!s) return;
    s.stack(['down', '-v', '-t', '1']);
    s.remove();
  }, 120_000);

  it('says in one line what to run, and the stack still comes up with its port and names', async () => {
    // The user's view of a machine whose /dev/net/tun is 0600: a node of the device with that mode
    // bound over it in a mount namespace of the command's (and of the keeper it starts); nothing else changes.
    const script =
      'd=$(mktemp -d) && mount -t tmpfs -o mode=0755 none "$d" && mknod -m 0600 "$d/tun" c 10 200 && ' +
      'mount --bind "$d/tun" /dev/net/tun && umount -l "$d" && rmdir "$d" && exec "$@"';
    const wrap = (argv: string[]) => ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv];
    const up = s.stack(['up', '-d'], { wrap });
    expect(up.code, up.stderr).toBe(0);
    const notes = up.stderr.split('\n').filter((l) => l.includes('/dev/net/tun'));
    expect(notes).toEqual([
      'note: containers have no outbound network: /dev/net/tun cannot be opened by this user (mode 0600; udev\'s usual is 0666), so slirp4netns cannot make the tap device; to allow it: sudo chmod 0666 /dev/net/tun',
    ]);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    const held = s.holder();

    const port = s.stack(['port', 'web', '8080']);
    const random = Number(/^127\.0\.0\.1:(\d+)\n$/.exec(port.stdout)?.[1]);
    expect(random, port.stdout + port.stderr).toBeGreaterThan(0);
    expect(await httpBody(random)).toBe('no-tun-needed\n');
    const byName = s.stack(['exec', 'client', 'busybox', 'wget', '-qO-', 'http://web:8080/']);
    expect(byName.stdout, byName.stderr).toBe('no-tun-needed\n');
    // No way out, and no default route pretending there is one.
    expect(s.stack(['exec', 'client', 'busybox', 'ip', 'route']).stdout).not.toContain('default');

    const down = s.stack(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(s.leftovers(project, held?.ns)).toEqual([]);
    expect(listeners(random, 'tcp')).toEqual([]);
  }, 240_000);
});

/**
 * A folder for PATH holding every command of the user's PATH but `missing` (symlinks), as a machine
 * where those packages are not installed looks to the user.
 */
function pathWithout(dir: string, missing: string[]): string {
  const bin = path.join(dir, 'bin-without-' + missing.join('-'));
  fs.mkdirSync(bin, { mode: 0o755 });
  for (const from of rootlessUser().env.PATH!.split(':')) {
    for (const name of fs.readdirSync(from)) {
      if (missing.includes(name) || fs.existsSync(path.join(bin, name))) continue;
      fs.symlinkSync(path.join(from, name), path.join(bin, name));
    }
  }
  return bin;
}

/** The pids of the user's processes whose command line starts with `command` and names `folder` (a scenario's: other tests run as the same user). */
function userProcessesNamed(uid: number, command: string, folder: string): number[] {
  return spawnSync('pgrep', ['-u', String(uid), '-f', `^${command} .*${folder}/`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
}

// Pool 10.215.0.0/16 (this describe's own).
describe.skipIf(unmet(...base, requireCommand('pasta'), requireUserTun()))('rootless network: pasta where slirp4netns is not installed, one line where neither is', () => {
  const project = `rlp${randomBytes(3).toString('hex')}`;
  let s: UserScenario;
  let hostServer: ChildProcess | undefined;
  let hostPort = 0;

  beforeAll(async () => {
    s = userScenario('hafen-rlpasta-', '10.215.0.0/16:24');
    // HTTP, as clients talk: Debian 12's pasta (passt 2023-03) may answer a client that half-closes
    // first (`nc` with its stdin at end) twice, or never close; see README, "What is not done yet".
    ({ child: hostServer, port: hostPort } = await startHostServer("require('http').createServer((q, r) => r.end('hello-through-pasta\\n'))"));
    s.write('stack.yaml', webStack(project, 'hello-from-web', ['8080']));
  }, 60_000);

  afterAll(() => endScenario(s, hostServer), 120_000);

  it('carries outbound traffic through pasta with the same addresses, pasta dies with the keeper, and down -v leaves nothing', async () => {
    const env = { PATH: pathWithout(s.dir, ['slirp4netns']) };
    const up = s.stack(['up', '-d'], { env });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/no outbound network|\n\s+at /);
    const held = s.holder();
    const record = JSON.parse(fs.readFileSync(path.join(s.run, 'hafen', 'network', 'network.json'), 'utf8')) as { keeperPid: number; outbound: { driver?: string; pid?: number; address?: string; dns?: string } };
    expect(record.outbound).toMatchObject({ driver: 'pasta', address: '10.0.2.100', dns: '10.0.2.3' });
    expect(userProcessesNamed(s.user.uid, 'slirp4netns', s.run)).toEqual([]);
    expect(userProcessesNamed(s.user.uid, 'pasta', s.run)).toEqual([record.outbound.pid]);

    // Out to the host by its own address (host-gateway), never its loopback; the published port and names as ever.
    const hostAddress = otherHostAddress();
    expect(hostAddress, 'the host needs a non-loopback IPv4 address').toBeDefined();
    // (`timeout`, not wget's -T: this busybox's wget crashes with it.)
    const viaName = s.stack(['exec', 'client', 'timeout', '5', 'busybox', 'wget', '-qO-', `http://host.docker.internal:${hostPort}/`], { env });
    expect(viaName.stdout, viaName.stderr).toBe('hello-through-pasta\n');
    const loopback = s.stack(['exec', 'client', 'timeout', '3', 'busybox', 'wget', '-qO-', `http://10.0.2.2:${hostPort}/`], { env, timeoutMs: 20_000 });
    expect(loopback.stdout).toBe('');
    expect(loopback.code).not.toBe(0);
    const random = Number(/^127\.0\.0\.1:(\d+)\n$/.exec(s.stack(['port', 'web', '8080'], { env }).stdout)?.[1]);
    expect(await httpBody(random)).toBe('hello-from-web\n');
    expect(s.stack(['exec', 'client', 'busybox', 'wget', '-qO-', 'http://web:8080/'], { env }).stdout).toBe('hello-from-web\n');

    // pasta has no exit fd: a keeper killed outright takes it along (its parent-death signal).
    process.kill(record.keeperPid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (userProcessesNamed(s.user.uid, 'pasta', s.run).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(userProcessesNamed(s.user.uid, 'pasta', s.run)).toEqual([]);

    const down = s.stack(['down', '-v'], { env });
    expect(down.code, down.stderr).toBe(0);
    expect(s.leftovers(project, held?.ns)).toEqual([]);
    expect(listeners(random, 'tcp')).toEqual([]);
  }, 240_000);

  it('says in one line that neither is installed, and the stack comes up with its port and names', async () => {
    const env = { PATH: pathWithout(s.dir, ['slirp4netns', 'pasta']) };
    // A new holder, so a new keeper looks for a driver (the test before takes its project down, unless it failed).
    s.stack(['down', '-v', '-t', '1']);
    const up = s.stack(['up', '-d'], { env });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr.split('\n').filter((l) => l.includes('outbound'))).toEqual([
      "note: containers have no outbound network: neither slirp4netns nor pasta is installed; to allow it: sudo apt-get install slirp4netns (or passt, which has pasta; or your distribution's package)",
    ]);
    const held = s.holder();
    const random = Number(/^127\.0\.0\.1:(\d+)\n$/.exec(s.stack(['port', 'web', '8080'], { env }).stdout)?.[1]);
    expect(await httpBody(random)).toBe('hello-from-web\n');
    expect(s.stack(['exec', 'client', 'busybox', 'wget', '-qO-', 'http://web:8080/'], { env }).stdout).toBe('hello-from-web\n');
    expect(s.stack(['exec', 'client', 'busybox', 'ip', 'route'], { env }).stdout).not.toContain('default');

    const down = s.stack(['down', '-v'], { env });
    expect(down.code, down.stderr).toBe(0);
    expect(s.leftovers(project, held?.ns)).toEqual([]);
  }, 240_000);
});

describe.skipIf(unmet(...base, requireUserTun()))("rootless: the README's first command as a user without root", () => {
  let s: UserScenario;

  beforeAll(() => {
    s = userScenario('hafen-rlreadme-', POOL);
  });

  afterAll(() => {
    if (!s) return;
    s.stack(['-f', 'stack.example.yaml', 'down', '-v', '-t', '1'], { cwd: REPO });
    s.remove();
  }, 120_000);

  it('brings stack.example.yaml up on the embedded runtime and its e2e runner passes; down -v leaves nothing', () => {
    // The README's first command after the build (`node dist/cli… -f stack.example.yaml up --exit-code-from e2e`), in the clone (root's files, readable by all).
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const first = /npm run build && node (dist\/cli\.c?js) (-f stack\.example\.yaml up --exit-code-from e2e) /.exec(readme);
    expect(first, "the README's first command").not.toBeNull();
    expect(path.join(REPO, first![1]!)).toBe(cliPath);
    const up = s.stack(first![2]!.split(' '), { cwd: REPO, timeoutMs: 240_000 });
    expect(up.code, up.stderr + up.stdout.slice(-2000)).toBe(0);
    expect(up.stderr).not.toContain('using the docker runtime');
    expect(`${up.stdout}${up.stderr}`).toMatch(/e2e +\| e2e: all checks passed\n/);
    const held = s.holder();
    const down = s.stack(['-f', 'stack.example.yaml', 'down', '-v'], { cwd: REPO });
    expect(down.code, down.stderr).toBe(0);
    expect(held).toBeDefined();
    expect(s.leftovers('shop', held?.ns, false)).toEqual([]);
    expect(readProcStat(held!.pid)?.state ?? 'gone').toMatch(/^(gone|Z)$/);
  }, 300_000);
});
