/** `ships:` of the file: Docker engines, or embedded runtimes on Linux hosts over ssh (issue 19); one kind per stack. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack } from './load-stack.js';
import { serializeStack } from './serialize.js';

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function load(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-ships-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  return loadStack({ cwd: dir, env: {}, project: 'p' });
}

async function errors(yaml: string): Promise<string[]> {
  const err = await load(yaml).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message.split('\n');
}

describe('ships: with runtime: embedded', () => {
  it('reads a ship on another host and one on this machine, and writes them back', async () => {
    const stack = await load('ships:\n  east: {runtime: embedded, host: "ssh://root@vm:2222"}\n  here: {runtime: embedded}\nservices:\n  db: {image: host, ship: east}\n  app: {image: host, ship: here}\n');
    expect(stack.ships).toEqual({ east: { name: 'east', docker: '', embedded: { host: 'ssh://root@vm:2222' } }, here: { name: 'here', docker: '', embedded: {} } });
    expect(serializeStack(stack).ships).toEqual({ east: { runtime: 'embedded', host: 'ssh://root@vm:2222' }, here: { runtime: 'embedded' } });
  });

  it('refuses a ship that is both or neither, a host that is no ssh address, and Docker and embedded ships in one stack, each where it was written', async () => {
    expect(await errors('ships:\n  east: {runtime: embedded, docker: "tcp://h:2375"}\nservices:\n  db: {image: host}\n')).toEqual([
      "stack.yaml:2:29 ships.east.docker: an embedded ship runs hafen's own runtime, not a Docker engine: remove docker:, or runtime: embedded",
    ]);
    expect(await errors('ships:\n  east: {host: "ssh://vm"}\nservices:\n  db: {image: host}\n')).toEqual([
      "stack.yaml:2:3 ships.east: needs docker: (a Docker engine's address), or runtime: embedded (with host: ssh://… for another Linux host)",
    ]);
    expect(await errors('ships:\n  east: {runtime: embedded, host: "ssh://a b"}\nservices:\n  db: {image: host}\n')).toEqual([
      'stack.yaml:2:35 ships.east.host: expected ssh://[user@]host[:port], not "ssh://a b"',
    ]);
    expect(await errors('ships:\n  east: {runtime: embedded, host: "ssh://vm"}\n  west: {docker: "tcp://h:2375"}\nservices:\n  db: {image: host}\n')).toEqual([
      'stack.yaml:2:19 ships.east.runtime: the ships of one stack are all Docker engines or all embedded runtimes; west is a Docker engine',
    ]);
  });

  it('refuses a network_mode that cannot reach a dependency on another host, or shares a namespace across hosts, where it was written; serves host and service:X', async () => {
    const ships = 'ships:\n  east: {runtime: embedded, host: "ssh://vm"}\nservices:\n  db: {image: host, ship: east}\n';
    expect(await errors(`${ships}  app: {image: host, network_mode: none, depends_on: [db]}\n`)).toEqual([
      'stack.yaml:5:36 services.app.network_mode: app depends on db, which runs on ship east (ssh://vm): network_mode none reaches no other host; use the stack\'s networks, host or service:NAME',
    ]);
    expect(await errors(`${ships}  app: {image: host, network_mode: "container:other", links: [db]}\n`)).toEqual([
      'stack.yaml:5:36 services.app.network_mode: app depends on db, which runs on ship east (ssh://vm): hafen cannot tell which networks container other is on, to serve it there; use the stack\'s networks, host or service:NAME',
    ]);
    expect(await errors(`${ships}  app: {image: host, network_mode: "service:db"}\n`)).toEqual([
      'stack.yaml:5:36 services.app.network_mode: service db runs on ship east (ssh://vm), app on this machine: a network namespace is shared on one host only; put both on one ship',
    ]);
    const served = await load(`${ships}  web: {image: host}\n  app: {image: host, network_mode: "service:web", depends_on: [db]}\n  probe: {image: host, network_mode: host, depends_on: [db]}\n  alone: {image: host, network_mode: none}\n`);
    expect(Object.keys(served.services)).toEqual(['db', 'web', 'app', 'probe', 'alone']);
  });
});
