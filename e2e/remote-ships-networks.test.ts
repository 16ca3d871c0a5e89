/**
 * Issue 19, ships of the embedded runtime: cross-ship dependents of every network shape, both ways
 * (the "remote" host is the ssh lab in namespaces of its own, pool 10.201). Against one dependency
 * on the other side, each of these reaches it by DB_HOST/DB_PORT after all were created: a
 * dependent on two networks (also through the gateway of its second network), two replicas of
 * another (each its own forwarder or relay, so the second did not end the first's), one sharing the
 * namespace of that one (`network_mode: service:X`) and one on the host's network; `down -v` stops
 * every forwarder and relay and leaves nothing on either side. `network_mode: none` with a
 * dependency on another host is refused at `up` in one line naming file:line:col and the key,
 * before anything is made.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interfaceAddress } from '../src/remote/bridge-address.js';
import { localRootFor } from '../src/remote/open-remote.js';
import type { ForwarderRecord } from '../src/remote/port-forwarder.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { bridgeName } from '../src/runtime/embedded/link-names.js';
import { pidAlive as alive } from '../src/testing/pid-alive.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { endShipsLab, insideLab, labForwarders, leftoversInLab, twoHostEnv } from './remote-teardown.js';
import { stackLeftovers } from './stack-leftovers.js';

/** The dependents, each on the ship `ship`: on two networks, two replicas, one in the namespace of `pair`, one on the host's network. */
function dependents(ship: string): string[] {
  const common = [`    ship: ${ship}`, '    image: host', '    command: ["sleep", "600"]', '    depends_on: {db: {condition: service_healthy}}'];
  return [
    '  wide:',
    ...common,
    '    networks: [front, back]',
    '  pair:',
    ...common,
    '    replicas: 2',
    '  near:',
    ...common,
    '    network_mode: "service:pair"',
    '  hosty:',
    ...common,
    '    network_mode: host',
  ];
}

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireSshd(), requireSshLabNetns()))('cross-ship dependents on several networks, replicas, network_mode (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let remoteRoot: string;
  let localRoot: string;
  const project = `rn${process.pid}`;
  const file = (): string => path.join(dir, 'ships.yaml');

  const env = (): Record<string, string> => twoHostEnv(lab, { localRoot, remoteRoot, pool: '10.201.64.0/18:24' });
  const run = (args: string[]): CliResult => stack(['-f', file(), ...args], { env: env(), timeout: 180_000 });
  const write = (services: string[], name = project, to = file()): void => {
    const lines = [`name: ${name}`, 'ships:', `  east: {runtime: embedded, host: "${lab.url}"}`, '  here: {runtime: embedded}', 'networks: {front: {}, back: {}}', 'services:', ...services, ''];
    fs.writeFileSync(to, lines.join('\n'));
  };
  /** db on `ship`: "hello from <ship>" on its published port 8080, ready once it answers. */
  const db = (ship: string): string[] => [
    '  db:',
    '    image: host',
    `    ship: ${ship}`,
    `    command: ["sh", "-c", "sleep 1; mkdir -p /tmp/www && echo hello from ${ship} > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]`,
    '    ports: ["8080"]',
    '    ready: {http: {port: 8080, path: /}}',
  ];
  /** What instance `index` of `service` sees: DB_HOST, DB_PORT and db's answer at `url` (`$DB_HOST:$DB_PORT` unless given). */
  const fetched = (service: string, index: number, url = 'http://$DB_HOST:$DB_PORT/'): { host: string; port: string; answer: string } => {
    const r = run(['exec', '--index', String(index), service, 'sh', '-c', `echo $DB_HOST $DB_PORT; busybox wget -qO- ${url}`]);
    expect(r.code, `${service}-${index}: ${r.stderr}`).toBe(0);
    const [first, ...rest] = r.stdout.split('\n');
    const [host, port] = first!.split(' ');
    return { host: host!, port: port!, answer: rest.join('\n') };
  };
  const hostRoot = (): string => localRootFor(parseSshTarget(lab.url), localRoot);
  const forwarders = (): ForwarderRecord[] => labForwarders(hostRoot(), project);
  /** The relay processes in the lab (node itself, not the shell ssh started it with) serving any of `ports`. */
  const relays = (ports: string[]): string[] => {
    const [c, ...a] = lab.inside(['pgrep', '-fa', 'system relay']);
    const lines = spawnSync(c!, a, { encoding: 'utf8' }).stdout.split('\n'); // exit 1: none
    return lines.filter((l) => l.split(' ')[1] === process.execPath && ports.some((p) => l.endsWith(`--ports ${p}`)));
  };
  /** The four dependents' five containers all reach db now (after every one was created), each by its own link. */
  const allReach = (hello: string): Record<string, { host: string; port: string }> => {
    const seen: Record<string, { host: string; port: string }> = {};
    for (const [service, index] of [['wide', 1], ['pair', 1], ['pair', 2], ['near', 1], ['hosty', 1]] as const) {
      const { host, port, answer } = fetched(service, index);
      expect(answer, `${service}-${index}`).toContain(hello);
      seen[`${service}-${index}`] = { host, port };
    }
    // Each container its own port (its own forwarder or relay); `near` shares pair-1's namespace, not its link.
    expect(new Set(Object.values(seen).map((s) => s.port)).size).toBe(5);
    // Own /etc/hosts: a name; sharing pair-1's (service:pair): the address itself.
    expect(seen['near-1']!.host).toMatch(/^10\.201\.\d+\.1$/);
    return seen;
  };
  const expectNothingLeft = async (pids: number[], ports: string[]): Promise<void> => {
    for (const pid of pids) expect(alive(pid)).toBe(false);
    let left = relays(ports);
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await sleep(250);
      left = relays(ports);
    }
    expect(left).toEqual([]);
    expect(leftoversInLab(lab, project, remoteRoot)).toEqual([]);
    expect(stackLeftovers(project, localRoot)).toEqual([]);
    expect(stackLeftovers(project, hostRoot())).toEqual([]);
    expect(forwarders()).toEqual([]);
  };

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-networks-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    lab = await startSshLab({ netns: '10.201' });
  }, 60_000);

  afterAll(() => endShipsLab({ lab, dir, forwarders, down: () => fs.existsSync(file()) && run(['down', '-v']) }), 240_000);

  it('dependents here of a service on ship east: on two networks, replicas, service:X and host all reach it; down -v stops every forwarder', async () => {
    write([...db('east'), ...dependents('here')]);
    const up = run(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    const seen = allReach('hello from east');
    expect(seen['wide-1']!.host).toBe('east.ship.hafen.internal');

    // wide is served on its second network's bridge too: through that gateway, same port.
    const front = interfaceAddress(bridgeName(project, `${project}_front`))!;
    const back = interfaceAddress(bridgeName(project, `${project}_back`))!;
    expect(front).not.toBe(back);
    expect(fetched('wide', 1, `http://${back}:$DB_PORT/`).answer).toContain('hello from east');
    // Each link listens only where its containers connect: wide on both its bridges, hosty on loopback.
    const listensOf = (port: string): string[] => forwarders().find((f) => f.forwards.some((w) => String(w.local.hostPort) === port))!.forwards.map((w) => w.local.hostIp).sort();
    expect(listensOf(seen['wide-1']!.port)).toEqual([front, back].sort());
    expect(listensOf(seen['hosty-1']!.port)).toEqual(['127.0.0.1']);
    // Five links and the project's own forwarder of db's published port, all running.
    const pids = forwarders().map((f) => f.pid);
    expect(new Set(pids).size).toBe(6);
    for (const pid of pids) expect(alive(pid)).toBe(true);

    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    await expectNothingLeft(pids, []);
  }, 400_000);

  it('dependents on ship east of a service here: on two networks, replicas, service:X and host all reach it through relays there; down -v stops them all', async () => {
    write([...db('here'), ...dependents('east')]);
    const up = run(['up', '-d', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    const seen = allReach('hello from here');
    expect(seen['wide-1']!.host).toBe('here.ship.hafen.internal');

    // There, wide's relay listens on both its bridges: through the second network's gateway too.
    const there = (network: string): string => /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(insideLab(lab, ['ip', '-4', '-o', 'addr', 'show', 'dev', bridgeName(project, `${project}_${network}`)]))![1]!;
    expect(fetched('wide', 1, `http://${there('back')}:$DB_PORT/`).answer).toContain('hello from here');
    const listening = (port: string): string[] => insideLab(lab, ['ss', '-Hltn', `sport = :${port}`]).trim().split('\n').map((l) => l.split(/\s+/)[3]!).sort();
    expect(listening(seen['wide-1']!.port)).toEqual([`127.0.0.1:${seen['wide-1']!.port}`, `${there('front')}:${seen['wide-1']!.port}`, `${there('back')}:${seen['wide-1']!.port}`].sort());
    // On the host's network the link's own loopback port serves: nothing else listens.
    expect(listening(seen['hosty-1']!.port)).toEqual([`127.0.0.1:${seen['hosty-1']!.port}`]);
    const ports = Object.values(seen).map((s) => s.port);
    expect(relays(ports)).toHaveLength(5);
    const pids = forwarders().map((f) => f.pid);
    expect(new Set(pids).size).toBe(5);

    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    await expectNothingLeft(pids, ports);
  }, 400_000);

  it('refuses network_mode none for a dependent of a service on another host in one line at up, before anything is made', () => {
    const refused = `${project}n`;
    const bad = path.join(dir, 'none.yaml');
    write([...db('east'), '  lone:', '    image: host', '    network_mode: none', '    depends_on: [db]'], refused, bad);
    const up = stack(['-f', bad, 'up', '-d', '--progress', 'plain'], { env: env(), timeout: 60_000 });
    expect(up.code).toBe(2);
    const lines = up.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/none\.yaml:15:19 services\.lone\.network_mode: lone depends on db, which runs on ship east \(ssh:\/\/root@hafen-ssh-lab\): network_mode none reaches no other host/);
    expect(fs.existsSync(path.join(remoteRoot, 'projects', refused))).toBe(false);
    expect(fs.existsSync(path.join(localRoot, 'projects', refused))).toBe(false);
    expect(fs.existsSync(`/sys/class/net/${bridgeName(refused, `${refused}_default`)}`)).toBe(false);
  });
});
