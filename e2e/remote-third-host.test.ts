/**
 * Issue 19, a dependency on a third host: a stack spread over this machine and two other "hosts"
 * (two ssh labs, each in a network and mount namespace of its own, src/testing/ssh-lab.ts; each
 * host's state root set by its sshd, as a login environment would). `db` runs on ship `c`, `mid` on
 * ship `b` depends on it, `app` here depends on `mid`. mid reaches db through DB_HOST/DB_PORT by the
 * way the code takes for a third host: db's port forwarded here on loopback, then an `ssh -R` to b's
 * loopback and a relay there on mid's bridge. Each dependent starts only once its dependency passed
 * its gate (db serves late; mid asks it once at its start and serves what it got; app asks mid once
 * at its start), and `down -v` leaves nothing on any of the three sides. Pool 10.203 (labs: 10.203
 * and 10.209 for their links).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwarderRecord } from '../src/remote/port-forwarder.js';
import { localRootFor } from '../src/remote/open-remote.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { bridgeName } from '../src/runtime/embedded/link-names.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { labsSshCommand, requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { pidAlive as alive } from '../src/testing/pid-alive.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';
import { endShipsLab, labForwarders, insideLab, leftoversInLab } from './remote-teardown.js';

/** One pool on every side, as several hosts' defaults would be. */
const POOL = '10.203.128.0/18:24';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireSshd(), requireSshLabNetns()))('a dependency on a third host (issue 19)', () => {
  const labs: { b?: SshLab; c?: SshLab } = {};
  let dir: string;
  let file: string;
  let localRoot: string;
  let sshCommand: string;
  const project = `r3${process.pid}`;
  const rootOf = (name: 'b' | 'c'): string => path.join(dir, `root-${name}`);

  const env = (): Record<string, string> => ({
    HAFEN_SSH_COMMAND: sshCommand,
    // No HAFEN_ROOT here: each lab's sshd gives its sessions their host's own.
    HAFEN_REMOTE_COMMAND: `HAFEN_SUBNET_POOL=${POOL} ${process.execPath} ${cliPath}`,
    HAFEN_ROOT: localRoot,
    HAFEN_SUBNET_POOL: POOL,
  });
  const run = (args: string[]): CliResult => stack(['-f', file, ...args], { env: env(), timeout: 240_000 });
  /** This machine's bookkeeping for a lab's host (its forwarders). */
  const hostRoot = (lab: SshLab): string => localRootFor(parseSshTarget(lab.url), localRoot);
  const forwarders = (lab: SshLab): ForwarderRecord[] => labForwarders(hostRoot(lab), project);
  /** The relays for the project's default bridge, and the ssh running each (pgrep's lines; the pid namespace is the machine's, shared by the labs). */
  const relays = (lab: SshLab): string => {
    const [c, ...a] = lab.inside(['pgrep', '-fa', `system relay --bridge ${bridgeName(project, `${project}_default`)}`]);
    return spawnSync(c!, a, { encoding: 'utf8' }).stdout; // exit 1: none
  };
  /** A web server on 8080 saying what `page` (a shell expression) gives, in a folder of `name`'s own. */
  const serve = (name: string, page: string): string => `mkdir -p /tmp/www-${name} && echo \\"${page}\\" > /tmp/www-${name}/index.html && exec busybox httpd -f -p 8080 -h /tmp/www-${name}`;

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-third-'));
    localRoot = path.join(dir, 'local-root');
    labs.b = await startSshLab({ netns: '10.203', name: 'hafen-ssh-lab-b', env: { HAFEN_ROOT: rootOf('b') } });
    labs.c = await startSshLab({ netns: '10.209', name: 'hafen-ssh-lab-c', env: { HAFEN_ROOT: rootOf('c') } });
    sshCommand = labsSshCommand(dir, [labs.b, labs.c]);
    file = path.join(dir, 'ships.yaml');
    fs.writeFileSync(
      file,
      [
        `name: ${project}`,
        'ships:',
        `  b: {runtime: embedded, host: "${labs.b.url}"}`,
        `  c: {runtime: embedded, host: "${labs.c.url}"}`,
        '  here: {runtime: embedded}',
        'services:',
        // Serves late: mid, asking once at its start, gets the page only if its gate held it.
        '  db:',
        '    image: host',
        '    ship: c',
        `    command: ["sh", "-c", "sleep 2; ${serve('c', 'hello from c')}"]`,
        '    ports: ["8080"]',
        '    ready: {http: {port: 8080, path: /}}',
        '  mid:',
        '    image: host',
        '    ship: b',
        `    command: ["sh", "-c", "got=$$(busybox wget -qO- http://$$DB_HOST:$$DB_PORT/); ${serve('b', 'mid got $$got')}"]`,
        '    ports: ["8080"]',
        '    ready: {http: {port: 8080, path: /}}',
        '    depends_on: {db: {condition: service_healthy}}',
        '  app:',
        '    image: host',
        '    ship: here',
        `    command: ["sh", "-c", "echo \\"app got $$(busybox wget -qO- http://$$MID_HOST:$$MID_PORT/)\\"; exec sleep 600"]`,
        '    depends_on: {mid: {condition: service_healthy}}',
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(() => endShipsLab({ lab: [labs.b, labs.c], dir, forwarders: () => [labs.b!, labs.c!].flatMap((l) => forwarders(l)), down: () => run(['down', '-v']) }), 240_000);

  it('the dependent on host b reaches db on host c by DB_HOST/DB_PORT (forward here, relay there), gates hold across hosts, down -v leaves nothing on any side', async () => {
    const b = labs.b!;
    const c = labs.c!;
    const up = run(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    const ps = run(['ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(new RegExp(`${project}-db-1 .*\\bc\\b`));
    expect(ps.stdout).toMatch(new RegExp(`${project}-mid-1 .*\\bb\\b`));
    expect(ps.stdout).toMatch(new RegExp(`${project}-app-1 .*embedded`));
    // Each host has the project under its own root, and only its own service (the cgroup tree is the machine's: not told apart there).
    const containers = (name: 'b' | 'c'): string[] => fs.readdirSync(path.join(rootOf(name), 'projects', project, 'containers'));
    expect(containers('b')).toEqual([`${project}-mid-1`]);
    expect(containers('c')).toEqual([`${project}-db-1`]);
    expect(leftoversInLab(b, project, rootOf('b')).join('\n')).toContain(`link ${bridgeName(project, `${project}_default`)}`);
    expect(leftoversInLab(c, project, rootOf('c')).join('\n')).toContain(`link ${bridgeName(project, `${project}_default`)}`);

    // The chain held: app's one request at its start found mid serving what mid's one request found db serving.
    let logs = run(['logs', 'app']);
    for (let i = 0; i < 40 && !logs.stdout.includes('app got'); i++) {
      await sleep(250);
      logs = run(['logs', 'app']);
    }
    expect(logs.stdout).toContain('app got mid got hello from c');
    const app = run(['exec', 'app', 'sh', '-c', 'echo $MID_HOST']);
    expect(app.stdout.trim()).toBe('b.ship.hafen.internal');

    // What mid sees on host b: DB_HOST names ship c, and db answers through DB_HOST:DB_PORT.
    const seen = run(['exec', 'mid', 'sh', '-c', 'echo $DB_HOST $DB_PORT $DB_PORT_8080; busybox wget -qO- http://$DB_HOST:$DB_PORT/']);
    expect(seen.code, seen.stderr).toBe(0);
    const [host, port, port8080] = seen.stdout.split('\n')[0]!.split(' ');
    expect(host).toBe('c.ship.hafen.internal');
    expect(port8080).toBe(port);
    expect(seen.stdout).toContain('hello from c');

    // The path: db's published port forwarded here on loopback (a forwarder for host c), then b's loopback port DB_PORT forwarded back to it (a reverse link for host b), relayed there on mid's bridge.
    const link = forwarders(b).find((f) => f.forwards.some((w) => String(w.remote.hostPort) === port))!;
    expect(link, JSON.stringify(forwarders(b))).toBeDefined();
    expect(link.forwards[0]!.remote.hostIp).toBe('127.0.0.1');
    expect(link.forwards[0]!.local.hostIp).toBe('127.0.0.1');
    const legHere = link.forwards[0]!.local.hostPort;
    const leg = forwarders(c).find((f) => f.forwards.some((w) => w.local.hostPort === legHere && w.local.hostIp === '127.0.0.1'));
    expect(leg, JSON.stringify(forwarders(c))).toBeDefined();
    // The first leg answers here on loopback, with db's page.
    expect(await (await fetch(`http://127.0.0.1:${legHere}/`)).text()).toContain('hello from c');
    expect(relays(b)).toContain(`--ports ${port}`);
    // On b, the port listens on loopback (ssh -R) and on mid's bridge (the relay), nowhere else.
    const listening = insideLab(b, ['ss', '-Hltn', `sport = :${port}`]).trim().split('\n').map((l) => l.split(/\s+/)[3]);
    expect(listening).toHaveLength(2);
    expect(listening).toContain(`127.0.0.1:${port}`);
    expect(listening.find((a) => a !== `127.0.0.1:${port}`)).toMatch(new RegExp(`^10\\.203\\.\\d+\\.1:${port}$`));
    // Nothing of it on this machine's other addresses: the first leg is on loopback only.
    const here = spawnSync('ss', ['-Hltn', `sport = :${legHere}`], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split(/\s+/)[3]);
    expect(here).toEqual([`127.0.0.1:${legHere}`]);

    const pids = [...forwarders(b), ...forwarders(c)].map((f) => f.pid);
    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    let left = relays(b);
    for (let i = 0; i < 20 && left.includes('system relay'); i++) {
      await sleep(250);
      left = relays(b);
    }
    expect(left).not.toContain('system relay');
    for (const [lab, name] of [[b, 'b'], [c, 'c']] as const) {
      expect(leftoversInLab(lab, project, rootOf(name))).toEqual([]);
      expect(stackLeftovers(project, hostRoot(lab))).toEqual([]);
      expect(forwarders(lab)).toEqual([]);
    }
    expect(stackLeftovers(project, localRoot)).toEqual([]);
  }, 600_000);
});
