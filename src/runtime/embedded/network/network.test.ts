/**
 * Stack networks on the real system (root): bridges, veths into stand-in containers (processes in
 * network namespaces of their own, as the launcher makes them), reachability and isolation, and
 * nothing left behind.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks } from '../../../testing/leaks.js';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import type { Ledger } from '../ledger/ledger.js';
import { openProjectLedger } from '../state/project-paths.js';
import { attachContainer, detachContainer, type Attachment } from './attach.js';
import { createBridge, linkExists, removeBridge, type BridgeInfo } from './bridge.js';
import { Ipam } from './ipam.js';
import { bridgeName, hostVethName, isProjectLink } from './names.js';
import { pingOnce, runIn, spawnNetns, startEchoServer, tcpTry, type Background, type NetnsProcess } from './test-netns.js';

/** A pool of its own, so test files running side by side (and real stacks) never compete for subnets. */
const POOL = [{ range: '10.213.0.0/16', prefix: 24 }];

interface Stage {
  root: string;
  ipam: Ipam;
  ledgers: Map<string, Ledger>;
  netns: NetnsProcess[];
  servers: Background[];
  /** What to detach and remove, in reverse order. */
  attached: { project: string; container: string; networks: string[] }[];
  networks: { project: string; network: string }[];
}

let stage: Stage;
const projects = () => [...stage.ledgers.keys()];

function ledger(project: string): Ledger {
  let l = stage.ledgers.get(project);
  if (!l) stage.ledgers.set(project, (l = openProjectLedger(stage.root, project)));
  return l;
}

async function net(project: string, name: string): Promise<BridgeInfo> {
  const alloc = await stage.ipam.allocateNetwork(project, name);
  stage.networks.push({ project, network: name });
  return createBridge(ledger(project), { project, network: name, subnet: alloc.subnet });
}

/** A stand-in container of `project` on `networks`; returns its pid and its addresses by network. */
async function container(project: string, name: string, networks: BridgeInfo[]): Promise<{ pid: number; addr: Record<string, string>; attachment: Attachment }> {
  const ns = await spawnNetns();
  stage.netns.push(ns);
  const netNames = networks.map((b) => b.network);
  const addresses = await stage.ipam.assignAddresses(project, name, netNames.map((network) => ({ network })));
  stage.attached.push({ project, container: name, networks: netNames });
  const attachment = await attachContainer(ledger(project), {
    pid: ns.pid,
    project,
    container: name,
    endpoints: networks.map((b, i) => ({ network: netNames[i]!, bridge: b.name, address: addresses[i]!, prefix: b.prefix })),
  });
  return { pid: ns.pid, addr: Object.fromEntries(netNames.map((n, i) => [n, addresses[i]!])), attachment };
}

/** Links of any project of this test still on the host. */
function projectLinks(): string[] {
  const links = fs.readdirSync('/sys/class/net');
  return links.filter((l) => projects().some((p) => isProjectLink(p, l)));
}

describe.skipIf(unmet(requireRoot(), requireCommand('unshare'), requireCommand('nsenter'), requireCommand('ip'), requireCommand('busybox')))(
  'stack networks',
  () => {
    beforeEach(() => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-net-'));
      stage = { root, ipam: new Ipam({ root, pool: POOL }), ledgers: new Map(), netns: [], servers: [], attached: [], networks: [] };
    });

    afterEach(async () => {
      for (const s of stage.servers) await s.stop();
      for (const a of stage.attached.reverse()) await detachContainer(ledger(a.project), a);
      for (const ns of stage.netns) await ns.kill();
      for (const n of stage.networks.reverse()) {
        await removeBridge(ledger(n.project), n);
        await stage.ipam.releaseNetwork(n.project, n.network);
      }
      for (const [project, l] of stage.ledgers) {
        expect(l.live(), `ledger of ${project}`).toEqual([]);
        expect(stage.ipam.list(project), `allocations of ${project}`).toEqual([]);
        expect(findLeaks(project, { root: stage.root }), `leaks of ${project}`).toEqual([]);
      }
      expect(projectLinks()).toEqual([]);
      fs.rmSync(stage.root, { recursive: true, force: true });
    });

    it('connects two containers on one network, and keeps a container on another network out', async () => {
      const front = await net('nettest', 'front');
      const back = await net('nettest', 'back');
      expect(front.name).toBe(bridgeName('nettest', 'front'));
      expect(fs.readFileSync(`/sys/class/net/${front.name}/bridge/forward_delay`, 'utf8').trim()).toBe('0');
      expect(Number(fs.readFileSync(`/sys/class/net/${front.name}/flags`, 'utf8')) & 1).toBe(1); // IFF_UP

      const a = await container('nettest', 'nettest-a-1', [front]);
      const b = await container('nettest', 'nettest-b-1', [front]);
      const c = await container('nettest', 'nettest-c-1', [back]);
      expect(a.attachment.interfaces).toEqual([
        { network: 'front', ifname: 'eth0', hostVeth: hostVethName('nettest', 'nettest-a-1', 'front'), address: a.addr.front, prefix: 24 },
      ]);
      // Inside: lo and eth0 up, one on-link route, no default route.
      const routes = JSON.parse((await runIn(a.pid, ['ip', '-j', '-4', 'route'])).stdout) as { dst: string; dev: string; scope?: string }[];
      expect(routes.map((r) => `${r.dst} ${r.dev} ${r.scope}`)).toEqual([`${front.subnet} eth0 link`]);
      expect((await runIn(a.pid, ['ip', '-o', 'link'])).stdout).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);

      const server = await startEchoServer(a.pid, '0.0.0.0', 7000);
      stage.servers.push(server);
      expect(await tcpTry(b.pid, a.addr.front!, 7000)).toBe('echo:hello');
      expect(await pingOnce(b.pid, a.addr.front!)).toBe(true);
      expect(await tcpTry(a.pid, '127.0.0.1', 7000)).toBe('echo:hello');
      // The host reaches containers through the bridge (the port proxies rely on it).
      expect(await pingOnce(process.pid, a.addr.front!)).toBe(true);

      // Across networks: no route, so it fails at once; not even the host's side of the other bridge answers.
      const started = Date.now();
      expect(await tcpTry(c.pid, a.addr.front!, 7000)).toBe('ENETUNREACH');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await pingOnce(c.pid, a.addr.front!)).toBe(false);
      expect(await pingOnce(c.pid, front.gateway)).toBe(false);
      expect(await pingOnce(c.pid, back.gateway)).toBe(true);
    });

    it('keeps a container on two networks reachable on both, and its peers apart', async () => {
      const front = await net('nettest', 'front');
      const back = await net('nettest', 'back');
      const api = await container('nettest', 'nettest-api-1', [front, back]);
      const web = await container('nettest', 'nettest-web-1', [front]);
      const db = await container('nettest', 'nettest-db-1', [back]);
      expect(api.attachment.interfaces.map((i) => i.ifname)).toEqual(['eth0', 'eth1']);
      stage.servers.push(await startEchoServer(db.pid, '0.0.0.0', 5432));
      stage.servers.push(await startEchoServer(api.pid, '0.0.0.0', 8080));
      expect(await tcpTry(api.pid, db.addr.back!, 5432)).toBe('echo:hello');
      expect(await tcpTry(web.pid, api.addr.front!, 8080)).toBe('echo:hello');
      expect(await tcpTry(web.pid, db.addr.back!, 5432)).toBe('ENETUNREACH');
      // Even via the host's address on web's own bridge, as a gateway: the host does not forward.
      await runIn(web.pid, ['ip', 'route', 'add', back.subnet, 'via', front.gateway]);
      expect(await tcpTry(web.pid, db.addr.back!, 5432, 500)).toMatch(/ETIMEDOUT|EHOSTUNREACH/);
    });

    it('runs two projects with the same network and container names side by side, apart', async () => {
      const one = await net('nettest', 'default');
      const two = await net('nettest2', 'default');
      expect(one.name).not.toBe(two.name);
      expect(one.subnet).not.toBe(two.subnet);
      const db1 = await container('nettest', 'db-1', [one]);
      const api1 = await container('nettest', 'api-1', [one]);
      const db2 = await container('nettest2', 'db-1', [two]);
      const api2 = await container('nettest2', 'api-1', [two]);
      expect(db1.addr.default).not.toBe(db2.addr.default);
      stage.servers.push(await startEchoServer(db1.pid, '0.0.0.0', 5432));
      stage.servers.push(await startEchoServer(db2.pid, '0.0.0.0', 5432));
      expect(await tcpTry(api1.pid, db1.addr.default!, 5432)).toBe('echo:hello');
      expect(await tcpTry(api2.pid, db2.addr.default!, 5432)).toBe('echo:hello');
      expect(await tcpTry(api1.pid, db2.addr.default!, 5432)).toBe('ENETUNREACH');
      expect(await tcpTry(api2.pid, db1.addr.default!, 5432)).toBe('ENETUNREACH');
    });

    it('attaches in a few milliseconds, and detaches a container whose namespace died', async () => {
      const front = await net('nettest', 'front');
      const back = await net('nettest', 'back');
      const times: number[] = [];
      for (let i = 0; i < 10; i++) times.push((await container('nettest', `nettest-t-${i}`, i % 2 ? [front, back] : [front])).attachment.ms);
      times.sort((x, y) => x - y);
      console.log(`attach: median ${times[5]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[9]!.toFixed(1)} ms (1 or 2 networks)`);
      expect(times[5]).toBeLessThan(200);

      // The namespace dies with its last process, and the kernel takes the veth pair along.
      const ns = stage.netns[0]!;
      const veth = hostVethName('nettest', 'nettest-t-0', 'front');
      await ns.kill();
      for (let i = 0; i < 200 && linkExists(veth); i++) await new Promise((r) => setTimeout(r, 10));
      expect(linkExists(veth)).toBe(false);
      const entry = stage.attached.shift()!;
      await detachContainer(ledger('nettest'), entry);
      expect(ledger('nettest').live().map((e) => e.resource)).not.toContainEqual({ kind: 'veth', name: veth });
    });

    it('cleans up after a failed attach (namespace already gone)', async () => {
      const front = await net('nettest', 'front');
      const ns = await spawnNetns();
      await ns.kill();
      const l = ledger('nettest');
      await expect(
        attachContainer(l, { pid: ns.pid, project: 'nettest', container: 'nettest-x-1', endpoints: [{ network: 'front', bridge: front.name, address: '10.213.0.9', prefix: 24 }] }),
      ).rejects.toThrow(/container nettest-x-1: ip failed/);
      expect(linkExists(hostVethName('nettest', 'nettest-x-1', 'front'))).toBe(false);
      expect(l.live().filter((e) => e.resource.kind === 'veth')).toEqual([]);
    });

    it('avoids a subnet the host uses, and refuses it when asked for', async () => {
      // A dummy interface where the kernel has the module; else an empty bridge does as well.
      const dummy = `hxd${process.pid.toString(16).slice(-6)}`;
      try {
        execFileSync('ip', ['link', 'add', dummy, 'type', 'dummy'], { stdio: 'pipe' });
      } catch {
        execFileSync('ip', ['link', 'add', dummy, 'type', 'bridge']);
      }
      try {
        execFileSync('ip', ['addr', 'add', '10.213.0.1/24', 'dev', dummy]);
        execFileSync('ip', ['link', 'set', dummy, 'up']);
        expect((await stage.ipam.allocateNetwork('nettest', 'default')).subnet).toBe('10.213.1.0/24');
        stage.networks.push({ project: 'nettest', network: 'default' });
        await expect(stage.ipam.allocateNetwork('nettest', 'other', '10.213.0.128/25')).rejects.toThrow(
          `network other (project nettest): subnet 10.213.0.128/25 is not free: the host uses it`,
        );
        ledger('nettest');
      } finally {
        execFileSync('ip', ['link', 'del', dummy]);
      }
      expect(linkExists(dummy)).toBe(false);
    });
  },
);
