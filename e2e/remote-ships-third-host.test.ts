/**
 * Issue 19, ships of the embedded runtime on two other hosts: two ssh labs (each in namespaces of
 * its own, pool 10.201, its own state root by sshd's SetEnv), ships east and west. A dependent on
 * west of a service on east reaches it by DB_HOST/DB_PORT: east's published port is forwarded here
 * on loopback (first leg), then linked to west by `ssh -R` and a relay on the dependent's bridge
 * there. `down -v` stops both legs and leaves nothing on any of the three.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRootFor } from '../src/remote/open-remote.js';
import type { ForwarderRecord } from '../src/remote/port-forwarder.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { pidAlive as alive } from '../src/testing/pid-alive.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { labForwarders, leftoversInLab } from './remote-teardown.js';
import { appReachedDb, fetchingApp } from './ships-fixture.js';
import { stackLeftovers } from './stack-leftovers.js';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireSshd(), requireSshLabNetns()))('a cross-ship dependency between two other hosts (issue 19)', () => {
  const labs: Partial<Record<'east' | 'west', SshLab>> = {};
  let dir: string;
  let localRoot: string;
  const project = `r3${process.pid}`;
  const pool = '10.201.192.0/18:24';
  const file = (): string => path.join(dir, 'ships.yaml');
  const rootOf = (ship: 'east' | 'west'): string => path.join(dir, `${ship}-root`);

  const env = (): Record<string, string> => ({
    HAFEN_SSH_COMMAND: `ssh -F ${path.join(dir, 'ssh_config')}`,
    HAFEN_REMOTE_COMMAND: `${process.execPath} ${cliPath}`,
    HAFEN_ROOT: localRoot,
    HAFEN_SUBNET_POOL: pool,
  });
  const run = (args: string[]): CliResult => stack(['-f', file(), ...args], { env: env(), timeout: 180_000 });
  const hostRoot = (ship: 'east' | 'west'): string => localRootFor(parseSshTarget(labs[ship]!.url), localRoot);
  const forwarders = (): ForwarderRecord[] => (['east', 'west'] as const).flatMap((s) => (labs[s] ? labForwarders(hostRoot(s), project) : []));

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-third-'));
    localRoot = path.join(dir, 'local-root');
    for (const ship of ['east', 'west'] as const) {
      labs[ship] = await startSshLab({ netns: '10.201', name: `hafen-lab-${ship}`, env: { HAFEN_ROOT: rootOf(ship), HAFEN_SUBNET_POOL: pool } });
    }
    // One client config naming both hosts, as a user's ~/.ssh/config would.
    fs.writeFileSync(path.join(dir, 'ssh_config'), Object.values(labs).map((l) => fs.readFileSync(path.join(l.dir, 'ssh_config'), 'utf8')).join('\n'));
  }, 60_000);

  afterAll(async () => {
    try {
      const left = forwarders();
      if (labs.east && labs.west && fs.existsSync(file())) run(['down', '-v']);
      for (const f of left) if (alive(f.pid)) process.kill(f.pid, 'SIGKILL');
    } finally {
      await Promise.all(Object.values(labs).map((l) => l.stop()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('a dependent on west reaches a service on east by DB_HOST/DB_PORT (forwarded here, then relayed there); down -v leaves nothing on any host', async () => {
    const lines = [
      `name: ${project}`,
      'ships:',
      `  east: {runtime: embedded, host: "${labs.east!.url}"}`,
      `  west: {runtime: embedded, host: "${labs.west!.url}"}`,
      'services:',
      '  db:',
      '    image: host',
      '    ship: east',
      `    command: ["sh", "-c", "mkdir -p /tmp/www && echo hello from east > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]`,
      '    ports: ["8080"]',
      '    ready: {http: {port: 8080, path: /}}',
      ...fetchingApp('west'),
      '',
    ];
    fs.writeFileSync(file(), lines.join('\n'));
    const up = run(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    const ps = run(['ps']);
    expect(ps.stdout).toMatch(new RegExp(`${project}-db-1 .*east`));
    expect(ps.stdout).toMatch(new RegExp(`${project}-app-1 .*west`));
    // Each "host" has its own state: the project there holds only its own service.
    expect(fs.existsSync(path.join(rootOf('east'), 'projects', project, 'containers', `${project}-db-1`))).toBe(true);
    expect(fs.existsSync(path.join(rootOf('west'), 'projects', project, 'containers', `${project}-app-1`))).toBe(true);

    const { host } = await appReachedDb(run, 'hello from east');
    expect(host).toBe('east.ship.hafen.internal');
    // The first leg listens on this machine's loopback only; the second is a link to west's loopback.
    const firstLeg = labForwarders(hostRoot('east'), project).filter((f) => f.forwards.every((w) => w.local.hostIp === '127.0.0.1'));
    const secondLeg = labForwarders(hostRoot('west'), project);
    expect(firstLeg.length).toBeGreaterThan(0);
    expect(secondLeg.map((f) => f.forwards.map((w) => w.remote.hostIp))).toEqual([['127.0.0.1']]);
    // The link to west carries connections back to the first leg's port here.
    expect(firstLeg.flatMap((f) => f.forwards.map((w) => w.local.hostPort))).toContain(secondLeg[0]!.forwards[0]!.local.hostPort);
    const pids = forwarders().map((f) => f.pid);

    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(leftoversInLab(labs.east!, project, rootOf('east'))).toEqual([]);
    expect(leftoversInLab(labs.west!, project, rootOf('west'))).toEqual([]);
    expect(stackLeftovers(project, localRoot)).toEqual([]);
    for (const ship of ['east', 'west'] as const) expect(stackLeftovers(project, hostRoot(ship))).toEqual([]);
    expect(forwarders()).toEqual([]);
  }, 400_000);
});
