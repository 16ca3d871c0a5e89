/**
 * Issue 19, ships of the embedded runtime with a user without root on the other host: the ssh lab
 * (namespaces of its own, pool 10.201) logged into as the rootless test user, whose containers live
 * in its namespace holder there (bridges in the holder's network namespace, outbound through
 * slirp4netns: their host-gateway is not a bridge). A dependent there on a service here reaches it
 * by DB_HOST/DB_PORT: the relay runs inside the user's namespaces, on the dependent's bridge there,
 * and passes connections out to the link's loopback port through the host's loopback relay; and a
 * dependent here reaches a service of the user's there (published on that host's loopback). `down
 * -v` leaves nothing on either side (the user's holder included, its last project gone).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRootFor } from '../src/remote/open-remote.js';
import type { ForwarderRecord } from '../src/remote/port-forwarder.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { pidAlive as alive } from '../src/testing/pid-alive.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { allowRootlessKeyLogin, giveToRootlessUser, NO_CGROUP_PARENT, requireRootlessUser, rootlessUser } from '../src/testing/rootless-user.js';
import { requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { endShipsLab, labForwarders } from './remote-teardown.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { appReachedDb, fetchingApp } from './ships-fixture.js';
import { rootlessStackLeftovers, stackLeftovers } from './stack-leftovers.js';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireSshd(), requireSshLabNetns(), requireRootlessUser(), requireCommand('slirp4netns')))('a cross-ship dependent on a rootless remote host (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let remoteRoot: string;
  let runtimeDir: string;
  let localRoot: string;
  const project = `rr${process.pid}`;
  const file = (): string => path.join(dir, 'ships.yaml');
  const pool = '10.201.128.0/18:24';

  const env = (): Record<string, string> => ({
    ...lab.env,
    // The user's own state and runtime folders (its holder's record), none shared with other tests of that user.
    HAFEN_REMOTE_COMMAND: `XDG_RUNTIME_DIR=${runtimeDir} HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=${pool} HAFEN_CGROUP_PARENT=${NO_CGROUP_PARENT} ${process.execPath} ${cliPath}`,
    HAFEN_ROOT: localRoot,
    HAFEN_SUBNET_POOL: pool,
  });
  const run = (args: string[]): CliResult => stack(['-f', file(), ...args], { env: env(), timeout: 180_000 });
  const hostRoot = (): string => localRootFor(parseSshTarget(lab.urlFor(rootlessUser().name)), localRoot);
  const forwarders = (): ForwarderRecord[] => labForwarders(hostRoot(), project);
  const remoteLeftovers = (): string[] => rootlessStackLeftovers(project, { dataRoot: remoteRoot, runtimeDir });

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-rootless-'));
    fs.chmodSync(dir, 0o711);
    remoteRoot = path.join(dir, 'remote-root');
    runtimeDir = path.join(dir, 'run');
    localRoot = path.join(dir, 'local-root');
    for (const d of [remoteRoot, runtimeDir]) {
      fs.mkdirSync(d, { mode: 0o700 });
      giveToRootlessUser(d);
    }
    allowRootlessKeyLogin();
    lab = await startSshLab({ netns: '10.201' });
  }, 60_000);

  afterAll(() => endShipsLab({ lab, dir, forwarders, down: () => fs.existsSync(file()) && run(['down', '-v']) }), 240_000);

  it('a dependent on the rootless ship east reaches a service here by DB_HOST/DB_PORT through a relay in the user\'s namespaces, one here reaches a service there; down -v leaves nothing', async () => {
    const lines = [
      `name: ${project}`,
      'ships:',
      `  east: {runtime: embedded, host: "${lab.urlFor(rootlessUser().name)}"}`,
      'services:',
      '  db:',
      '    image: host',
      `    command: ["sh", "-c", "mkdir -p /tmp/www && echo hello from here > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]`,
      '    ports: ["8080"]',
      '    ready: {http: {port: 8080, path: /}}',
      ...fetchingApp('east'),
      // The other way: a service of the user's there, published on that host's loopback, reached from here.
      '  api:',
      '    image: host',
      '    ship: east',
      `    command: ["sh", "-c", "mkdir -p /tmp/www && echo hello from east > /tmp/www/index.html && exec busybox httpd -f -p 8081 -h /tmp/www"]`,
      '    ports: ["8081"]',
      '    ready: {http: {port: 8081, path: /}}',
      '  client:',
      '    image: host',
      '    command: ["sleep", "600"]',
      '    depends_on: {api: {condition: service_healthy}}',
      '',
    ];
    fs.writeFileSync(file(), lines.join('\n'));
    const up = run(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    const ps = run(['ps']);
    expect(ps.stdout).toMatch(new RegExp(`${project}-app-1 .*east`));

    const { host } = await appReachedDb(run, 'hello from here');
    expect(host).toBe('local.ship.hafen.internal');
    const back = run(['exec', 'client', 'sh', '-c', 'busybox wget -qO- http://$API_HOST:$API_PORT/']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('hello from east');
    // The relay runs as the user, inside its namespaces (a user namespace other than the lab's).
    const [c, ...a] = lab.inside(['pgrep', '-u', String(rootlessUser().uid), '-f', 'system relay']);
    const relayPids = spawnSync(c!, a, { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    expect(relayPids.length).toBeGreaterThan(0);
    expect(relayPids.some((pid) => fs.readlinkSync(`/proc/${pid}/ns/user`) !== fs.readlinkSync('/proc/self/ns/user'))).toBe(true);
    const pids = forwarders().map((f) => f.pid);
    expect(pids.length).toBeGreaterThan(0);

    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    for (let i = 0; i < 20 && relayPids.some(alive); i++) await sleep(250);
    expect(relayPids.filter(alive)).toEqual([]);
    expect(remoteLeftovers()).toEqual([]);
    expect(stackLeftovers(project, localRoot)).toEqual([]);
    expect(stackLeftovers(project, hostRoot())).toEqual([]);
    expect(forwarders()).toEqual([]);
  }, 400_000);
});
