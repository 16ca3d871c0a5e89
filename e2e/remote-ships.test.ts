/**
 * Issue 19, ships of the embedded runtime: a stack spread over this machine and "another host"
 * (the ssh lab in a network and mount namespace of its own, src/testing/ssh-lab.ts, so the two
 * sides are two hosts: the same project's bridges on each). `db` runs on ship `east`
 * (`runtime: embedded`, `host: ssh://…`), `app` here depends on it with service_healthy: it starts
 * once db's `ready:` probe (run from there) passes, reaches it through DB_HOST/DB_PORT (a forwarder of its own here),
 * db's published port answers here, and `down -v` leaves nothing on either side (ledger, netns,
 * links, mounts, processes, forwarders). An attached `up` shows both ships' logs and ends with the
 * dependent's exit code. The other way round, a dependent there on a service here starts once that
 * one is ready (probed here) and reaches it by DB_HOST/DB_PORT: an `ssh -R` to the lab's loopback and
 * a relay there on its bridge (no sshd setting changed); `down -v` stops both.
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
import { requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { pidAlive as alive } from '../src/testing/pid-alive.js';
import { cliPath, repoRoot, stack, type CliResult } from './cli.js';
import { appReachedDb, fetchingApp } from './ships-fixture.js';
import { stackLeftovers } from './stack-leftovers.js';
import { endShipsLab, insideLab, labForwarders, leftoversInLab, twoHostEnv } from './remote-teardown.js';


describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireSshd(), requireSshLabNetns()))('ships of the embedded runtime over ssh (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let remoteRoot: string;
  let localRoot: string;
  const project = `rs${process.pid}`;

  // One pool on both sides, as two hosts' defaults would be: their stack networks share addresses.
  const env = (): Record<string, string> => twoHostEnv(lab, { localRoot, remoteRoot, pool: '10.222.64.0/18:24' });
  const write = (name: string, services: string): string => {
    const file = path.join(dir, name);
    // `here`: this machine as a ship of its own name (a service without ship: runs here too).
    fs.writeFileSync(file, [`name: ${project}`, 'ships:', `  east: {runtime: embedded, host: "${lab.url}"}`, '  here: {runtime: embedded}', 'services:', services, ''].join('\n'));
    return file;
  };
  /** Service db on ship east: a web server saying "hello from east" on its published port 8080, after `before`. */
  const dbOnEast = (before: string, ready: string): string[] => [
    '  db:',
    '    image: host',
    '    ship: east',
    `    command: ["sh", "-c", "${before}; mkdir -p /tmp/www && echo hello from east > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]`,
    '    ports: ["8080"]',
    `    ready: ${ready}`,
  ];
  const run = (file: string, args: string[]): CliResult => stack(['-f', file, ...args], { env: env(), timeout: 180_000 });
  /** This machine's bookkeeping for the lab host (forwarders). */
  const hostRoot = (): string => localRootFor(parseSshTarget(lab.url), localRoot);
  const forwarders = (): ForwarderRecord[] => labForwarders(hostRoot(), project);
  /** Runs argv inside the lab's namespaces. */
  const inside = (argv: string[]): string => insideLab(lab, argv);
  const remoteLeftovers = (): string[] => leftoversInLab(lab, project, remoteRoot);
  const expectNothingLeft = (): void => {
    expect(remoteLeftovers()).toEqual([]);
    expect(stackLeftovers(project, localRoot)).toEqual([]);
    expect(stackLeftovers(project, hostRoot())).toEqual([]);
    expect(forwarders()).toEqual([]);
  };

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-ships-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    lab = await startSshLab({ netns: '10.222' });
  }, 60_000);

  afterAll(() => endShipsLab({ lab, dir, forwarders, down: () => fs.existsSync(path.join(dir, 'ships.yaml')) && run(path.join(dir, 'ships.yaml'), ['down', '-v']) }), 240_000);

  it('a dependent here starts once its dependency on ship east is ready (probed there), reaches it by DB_HOST/DB_PORT; its port answers here; down -v leaves nothing on either side', async () => {
    const file = write(
      'ships.yaml',
      [
        // Probed from the lab, where db's address routes (from here it does not: the gate would never open).
        ...dbOnEast('sleep 1', '{http: {port: 8080, path: /}}'),
        ...fetchingApp('here'),
      ].join('\n'),
    );
    const up = run(file, ['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/forwarding 127\.0\.0\.1:\d+ -> hafen-ssh-lab:\d+/);

    // db runs there, app here: each side has the project's bridge under the same name, in its own namespace.
    const bridge = bridgeName(project, `${project}_default`);
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(true);
    expect(inside(['ip', '-br', 'link'])).toContain(bridge);
    expect(fs.existsSync(path.join(remoteRoot, 'projects', project))).toBe(true);
    const ps = run(file, ['ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(new RegExp(`${project}-db-1 .*east`));
    expect(ps.stdout).toMatch(new RegExp(`${project}-app-1 .*embedded`));

    const { host, port } = await appReachedDb((a) => run(file, a), 'hello from east');
    expect(host).toBe('east.ship.hafen.internal');
    // DB_PORT is the cross-ship link's forwarder here, to db's published port there.
    const link = forwarders().find((f) => f.forwards.some((w) => String(w.local.hostPort) === port))!;
    // It listens only on the dependent's bridge here (its host-gateway), not on every address of this machine.
    expect(link.forwards[0]!.local.hostIp).toMatch(/^10\.222\.\d+\.1$/);
    expect(alive(link.pid)).toBe(true);

    // db's published port, forwarded here.
    const published = run(file, ['port', 'db', '8080']);
    expect(published.code, published.stderr).toBe(0);
    expect(await (await fetch(`http://${published.stdout.trim()}/`)).text()).toContain('hello from east');
    const pids = forwarders().map((f) => f.pid);
    expect(pids.length).toBe(2);
    // The check run inside the lab sees the project there (so its empty answer after down means something).
    expect(remoteLeftovers().join('\n')).toMatch(new RegExp(`${project}-db-1`));

    const down = run(file, ['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    expect(inside(['ip', '-br', 'link'])).not.toContain(bridge);
    expectNothingLeft();
  }, 400_000);

  it('an attached up shows both ships\' logs and ends with the exit code of the dependent here', () => {
    const file = write(
      'ships.yaml',
      [
        ...dbOnEast('echo db serving', '{tcp: 8080}'),
        '  app:',
        '    image: host',
        `    command: ["sh", "-c", "busybox wget -qO- http://$$DB_HOST:$$DB_PORT/ && exit 7"]`,
        '    depends_on: {db: {condition: service_healthy}}',
      ].join('\n'),
    );
    const up = run(file, ['up', '--exit-code-from', 'app', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(7);
    expect(up.stderr).toMatch(/^db\s+\| db serving$/m);
    expect(up.stderr).toMatch(/^app\s+\| hello from east$/m);
    const down = run(file, ['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expectNothingLeft();
  }, 400_000);

  it('a dependent on ship east starts once its dependency here is ready, reaches it by DB_HOST/DB_PORT (ssh -R and a relay there); down -v stops both and leaves nothing', async () => {
    const file = write(
      'ships.yaml',
      [
        '  db:',
        '    image: host',
        '    ship: here',
        // Slow to serve: the gate must hold the dependent there until this one answers.
        `    command: ["sh", "-c", "sleep 2; mkdir -p /tmp/www && echo hello from here > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]`,
        '    ports: ["8080"]',
        '    ready: {http: {port: 8080, path: /}}',
        ...fetchingApp('east'),
      ].join('\n'),
    );
    const up = run(file, ['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    const ps = run(file, ['ps']);
    expect(ps.stdout).toMatch(new RegExp(`${project}-app-1 .*east`));

    const { host, port } = await appReachedDb((a) => run(file, a), 'hello from here');
    expect(host).toBe('here.ship.hafen.internal');

    // The link: an ssh here, forwarding the lab's loopback port DB_PORT back here; its relay there.
    const link = forwarders().find((f) => f.forwards.some((w) => String(w.remote.hostPort) === port))!;
    expect(link.forwards[0]!.remote.hostIp).toBe('127.0.0.1');
    expect(alive(link.pid)).toBe(true);
    const bridge = bridgeName(project, `${project}_default`);
    const relays = (): string => {
      const [c, ...a] = lab.inside(['pgrep', '-fa', `system relay --bridge ${bridge}`]);
      return spawnSync(c!, a, { encoding: 'utf8' }).stdout; // exit 1: none
    };
    expect(relays()).toContain(`--ports ${port}`);
    // Nothing listens on the lab's other addresses: the relay is on the bridge, the forward on loopback.
    const listening = inside(['ss', '-Hltn', `sport = :${port}`]).trim().split('\n').map((l) => l.split(/\s+/)[3]);
    expect(listening).toHaveLength(2);
    expect(listening).toContain(`127.0.0.1:${port}`);
    expect(listening.find((a) => a !== `127.0.0.1:${port}`)).toMatch(new RegExp(`^10\\.222\\.\\d+\\.1:${port}$`));

    const down = run(file, ['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(alive(link.pid)).toBe(false);
    let left = relays();
    for (let i = 0; i < 20 && left.includes('system relay'); i++) {
      await sleep(250);
      left = relays();
    }
    expect(left).not.toContain('system relay');
    expectNothingLeft();
  }, 400_000);
});
