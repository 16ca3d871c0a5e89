/**
 * Networks and published ports as a user sees them, on every runtime: containers on one network
 * reach each other by name (both ways), not across networks, not across projects; a published port
 * answers on 127.0.0.1 only. Written against the `Runtime` interface only.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Label, type ContainerSpec } from '../../src/runtime/runtime.js';
import { unmet } from '../../src/testing/requirements.js';
import { eventually, logText, newProject, useRuntime } from './harness.js';
import { runtimes } from './runtimes.js';

/** A node HTTP server answering `hello from <hostname>` on 8080. */
const SERVER = [
  'node',
  '-e',
  "require('http').createServer((q, s) => s.end('hello from ' + require('os').hostname())).listen(8080, () => console.log('listening'))",
];

/** Resolves a name inside a container with node (as any program would): its address, or `unknown`. */
const LOOKUP = (name: string): string[] => ['node', '-e', `require('dns').lookup(${JSON.stringify(name)}, { family: 4 }, (e, a) => console.log(e ? 'unknown' : a))`];

/** A node client fetching `url` (retrying for a while); prints the body, or the error and exits 1. */
function client(url: string, tries = 50): string[] {
  const js = `
    const get = async (n) => {
      try { console.log(await (await fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(1000) })).text()); }
      catch (e) { if (n > 1) { await new Promise((r) => setTimeout(r, 100)); return get(n - 1); } console.log('failed: ' + (e.cause?.code ?? e.message)); process.exit(1); }
    };
    get(${tries});`;
  return ['node', '-e', js];
}

/** The listening TCP sockets of the host on `port`, as `address:port` (from /proc/net/tcp and tcp6). */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue;
      const [addr, hexPort] = local.split(':') as [string, string];
      if (parseInt(hexPort, 16) === port) out.push(addr);
    }
  }
  return out;
}

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): networks and ports`, () => {
    const h = useRuntime(factory, 1, 'cn');

    it('connects containers on one network by name, both ways, and keeps another network out', async () => {
      const { runtime } = h;
      const front = h.net('front');
      const back = h.net('back');
      await runtime.createNetwork({ name: front, labels: h.labels(), internal: false });
      await runtime.createNetwork({ name: back, labels: h.labels(), internal: false });
      expect((await runtime.listNetworks(h.labels())).sort()).toEqual([back, front]);

      const srv = h.spec('srv', { image: h.images.node, networks: [{ name: front, aliases: ['srv', 'web'] }], command: SERVER });
      await runtime.createContainer(srv);
      const started = await runtime.startContainer(srv.name);
      expect(started.state).toBe('running');
      const srvAddress = started.addresses[front]!;
      expect(srvAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      const cli = h.spec('cli', { image: h.images.node, networks: [{ name: front, aliases: ['cli'] }], command: client('http://web:8080/') });
      await runtime.createContainer(cli);
      await runtime.startContainer(cli.name);
      expect(await runtime.waitContainer(cli.name)).toMatchObject({ exitCode: 0 });
      expect(await logText(runtime, cli.name)).toBe('hello from srv');

      // The server, started first, learns the names of containers started after it.
      const other = h.spec('other', { image: h.images.busybox, networks: [{ name: front, aliases: ['other'] }], command: ['sleep', '100'] });
      await runtime.createContainer(other);
      const otherInfo = await runtime.startContainer(other.name);
      expect((await runtime.exec(srv.name, { command: LOOKUP('other') })).stdout.trim()).toBe(otherInfo.addresses[front]);

      // Another network: neither the name nor the address reaches the server.
      const outsider = h.spec('outsider', { image: h.images.node, networks: [{ name: back, aliases: ['outsider'] }], command: ['sleep', '100'] });
      await runtime.createContainer(outsider);
      await runtime.startContainer(outsider.name);
      const byAddress = await runtime.exec(outsider.name, { command: client(`http://${srvAddress}:8080/`, 1) });
      expect(byAddress).toMatchObject({ exitCode: 1, stdout: expect.stringMatching(/^failed/) });
      const byName = await runtime.exec(outsider.name, { command: LOOKUP('srv') });
      expect(byName.stdout.trim()).toBe('unknown');
    });

    it('runs two projects with the same service names side by side, each reaching its own', async () => {
      const { runtime } = h;
      const second = newProject('cn');
      const projects = [h.project, second];
      try {
        for (const project of projects) {
          const labels = { [Label.project]: project };
          const net = `${project}_default`;
          await runtime.createNetwork({ name: net, labels, internal: false });
          const db = h.spec('db', {
            name: `${project}-db-1`,
            hostname: `db-of-${project}`,
            labels: { ...labels, [Label.service]: 'db', [Label.instance]: '1' },
            image: h.images.node,
            networks: [{ name: net, aliases: ['db'] }],
            command: SERVER,
          });
          await runtime.createContainer(db);
          await runtime.startContainer(db.name);
        }
        for (const project of projects) {
          const net = `${project}_default`;
          const app = h.spec('app', {
            name: `${project}-app-1`,
            labels: { [Label.project]: project, [Label.service]: 'app', [Label.instance]: '1' },
            image: h.images.node,
            networks: [{ name: net, aliases: ['app'] }],
            command: client('http://db:8080/'),
          });
          await runtime.createContainer(app);
          await runtime.startContainer(app.name);
          expect(await runtime.waitContainer(app.name)).toMatchObject({ exitCode: 0 });
          expect(await logText(runtime, app.name)).toBe(`hello from db-of-${project}`);
        }
      } finally {
        const labels = { [Label.project]: second };
        for (const c of await runtime.listContainers(labels)) await runtime.removeContainer(c.name, { force: true });
        for (const n of await runtime.listNetworks(labels)) await runtime.removeNetwork(n);
        await factory.cleanup(runtime, second);
        expect(factory.leaks(second, h.setup)).toEqual([]);
      }
    });

    it('lets containers started at the same time find each other by name', async () => {
      const { runtime } = h;
      const net = h.net('default');
      await runtime.createNetwork({ name: net, labels: h.labels(), internal: false });
      const names = ['a', 'b', 'c', 'd'];
      const specs = names.map((n) => h.spec(n, { image: h.images.node, networks: [{ name: net, aliases: [n] }], command: ['sleep', '100'] }));
      await Promise.all(specs.map((s) => runtime.createContainer(s)));
      const infos = await Promise.all(specs.map((s) => runtime.startContainer(s.name)));
      const addresses = Object.fromEntries(names.map((n, i) => [n, infos[i]!.addresses[net]]));
      expect(new Set(Object.values(addresses)).size).toBe(names.length);
      for (const s of specs) {
        const js = `Promise.all(${JSON.stringify(names)}.map((n) => require('dns').promises.lookup(n, 4).then((r) => n + '=' + r.address))).then((l) => console.log(l.join(' ')))`;
        const r = await runtime.exec(s.name, { command: ['node', '-e', js] });
        expect(r.stdout.trim()).toBe(names.map((n) => `${n}=${addresses[n]}`).join(' '));
      }
    });

    it('resolves a link alias (to a service, or to a container by name) in the linking container only, also for a service started after it', async () => {
      const { runtime } = h;
      const net = h.net('default');
      await runtime.createNetwork({ name: net, labels: h.labels(), internal: false });
      const service = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec =>
        h.spec(name, {
          labels: { ...h.labels(), [Label.service]: name, [Label.instance]: '1' },
          image: h.images.node,
          networks: [{ name: net, aliases: [name] }],
          command: ['sleep', '100'],
          ...extra,
        });
      const cache = service('cache');
      // ContainerSpec.links (compose `links: [db:database, <cache container>:memo]`), where the spec carries it.
      const app = Object.assign(service('app'), { links: [{ service: 'db', alias: 'database' }, { service: cache.name, alias: 'memo' }] });
      const db = service('db');
      const other = service('other');
      for (const s of [cache, app, other]) {
        await runtime.createContainer(s);
        await runtime.startContainer(s.name);
      }
      const lookup = async (from: ContainerSpec, name: string) => (await runtime.exec(from.name, { command: LOOKUP(name) })).stdout.trim();
      const cacheAddress = (await runtime.inspectContainer(cache.name))!.addresses[net];
      expect(await lookup(app, 'memo')).toBe(cacheAddress);
      expect(await lookup(app, 'database')).toBe('unknown');
      await runtime.createContainer(db);
      const dbAddress = (await runtime.startContainer(db.name)).addresses[net];
      expect(await lookup(app, 'database')).toBe(dbAddress);
      expect(await lookup(app, 'db')).toBe(dbAddress);
      expect(await lookup(other, 'database')).toBe('unknown');
      expect(await lookup(other, 'memo')).toBe('unknown');
    });

    it('publishes a port on 127.0.0.1 only, on a free port when none is given', async () => {
      const { runtime } = h;
      const net = h.net('default');
      await runtime.createNetwork({ name: net, labels: h.labels(), internal: false });
      const web = h.spec('web', {
        image: h.images.node,
        networks: [{ name: net, aliases: ['web'] }],
        ports: [{ target: 8080, host_ip: '127.0.0.1', protocol: 'tcp' }],
        command: SERVER,
      });
      await runtime.createContainer(web);
      const info = await runtime.startContainer(web.name);
      expect(info.ports).toHaveLength(1);
      const port = info.ports[0]!;
      expect(port).toMatchObject({ target: 8080, protocol: 'tcp', hostIp: '127.0.0.1' });
      expect(port.hostPort).toBeGreaterThan(0);
      expect((await runtime.inspectContainer(web.name))?.ports).toEqual([port]);
      const body = await eventually(async () => {
        const r = await fetch(`http://127.0.0.1:${port.hostPort}/`, { signal: AbortSignal.timeout(1000) });
        return r.ok ? r.text() : undefined;
      }, 10_000, 'the published port answering');
      expect(body).toBe('hello from web');
      // 0100007F is 127.0.0.1 as /proc/net/tcp writes it: nothing listens on 0.0.0.0 or another address.
      expect(listeners(port.hostPort)).toEqual(['0100007F']);
      await runtime.stopContainer(web.name);
      expect((await runtime.inspectContainer(web.name))?.ports).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${port.hostPort}/`)).rejects.toThrow();
    });
  });
}
