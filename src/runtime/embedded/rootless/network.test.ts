/**
 * The rootless network, for real, as the unprivileged test user: a stand-in holder (user, network
 * and mount namespaces of the user's) with a bridge and a container inside, its keeper started as
 * that user (slirp4netns, NAT, the relay). Published ports are checked from the host, outbound
 * traffic against a listener in a test-owned namespace beyond a veth of the host's (the machine has
 * no internet), and at the end the holder is killed and nothing of the keeper may be left.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { requireRootlessUser, rootlessUser } from '../../../testing/rootless-user.js';
import { runIn, spawnNetns, startEchoServer, tcpTry, type Background, type NetnsProcess } from '../network/test-netns.js';
import { PublishError } from '../ports/proxy-spec.js';
import { readProcStat } from '../process-info.js';
import { keeperEntry, rootlessNetworkLeftovers, startRootlessNetwork, stopRootlessNetwork } from './network-lifecycle.js';
import { RootlessPortSet } from './network-port-set.js';
import { readNetworkRecord, type RootlessNetworkRecord } from './network-record.js';
import { holderNetworkDir, rootlessHolderNetwork } from './network-attach.js';
import { addBridge, keeperWrapper, listeners, startInside, startStandInContainer, startStandInHolder, userCanOpenTun, type StandIn } from './network-test-holder.js';
import { freePort } from '../../../testing/free-port.js';

const PROJECT = 'rlnet';
const CONTAINER = 'rlnet-web-1';
/** The bridge inside the holder, and the test-owned "outside" link on the host (10.214.0.0/16 is this file's). */
const BRIDGE = { name: 'rl-br0', gateway: '10.214.1.1', prefix: 24 };
const WEB = '10.214.1.2';
const OUTSIDE = { hostSide: `rlo${process.pid % 100000}`, hostAddress: '10.214.250.1', address: '10.214.250.2', port: 7000 };

function keeperBuilt(): boolean {
  try {
    keeperEntry();
    return true;
  } catch {
    return false;
  }
}

/** One HTTP GET of `/` through host:port; the body, or the error's code. */
function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3000 });
    let text = '';
    s.on('connect', () => s.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n'));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('end', () => resolve(text.split('\r\n\r\n')[1] ?? text));
    s.on('timeout', () => (s.destroy(), resolve('ETIMEDOUT')));
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Everything the server at host:port says to a connection. */
function readAll(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3000 });
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function udpAsk(port: number, message: string): Promise<string> {
  const client = dgram.createSocket('udp4');
  return new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('no answer'), 3000);
    client.once('message', (m) => (clearTimeout(timer), resolve(m.toString())));
    client.send(message, port, '127.0.0.1');
  }).finally(() => client.close());
}

describe.skipIf(
  unmet(requireRoot(), requireRootlessUser(), requireCommand('slirp4netns'), requireCommand('nsenter'), requireCommand('busybox'), requireCommand('ss')) ||
    !keeperBuilt(),
)('the rootless network of a holder', () => {
  let stateDir: string;
  let holder: StandIn | undefined;
  let container: StandIn | undefined;
  const servers: Array<StandIn | Background> = [];
  let outside: NetnsProcess | undefined;
  let record: RootlessNetworkRecord;
  let ports: RootlessPortSet;

  beforeAll(async () => {
    const user = rootlessUser();
    stateDir = fs.mkdtempSync(path.join(user.runtimeDir, 'hafen-net-test-'));
    fs.chownSync(stateDir, user.uid, user.gid);
    const www = path.join(stateDir, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from the container\n');
    fs.chownSync(www, user.uid, user.gid);

    holder = await startStandInHolder();
    addBridge(holder.pid, BRIDGE.name, BRIDGE.gateway, BRIDGE.prefix);
    container = await startStandInContainer(holder.pid, { bridge: BRIDGE.name, hostVeth: 'rl-web1', address: WEB, prefix: BRIDGE.prefix, gateway: BRIDGE.gateway });
    servers.push(await startInside(container.pid, ['busybox', 'httpd', '-f', '-p', `${WEB}:80`, '-h', www], 80));
    // Tells each connection the address it came from: what a container sees of published-port clients.
    servers.push(await startInside(container.pid, [process.execPath, '-e', `require('net').createServer((s) => s.end(s.remoteAddress)).listen(9000, '${WEB}')`], 9000));
    servers.push(await startEchoServer(container.pid, WEB, 5353));

    // The outside: a namespace of the test's beyond a veth of the host's, with an echo server.
    outside = await spawnNetns();
    execFileSync('ip', ['link', 'add', OUTSIDE.hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', `/proc/${outside.pid}/ns/net`]);
    execFileSync('ip', ['addr', 'add', `${OUTSIDE.hostAddress}/30`, 'dev', OUTSIDE.hostSide]);
    execFileSync('ip', ['link', 'set', OUTSIDE.hostSide, 'up']);
    for (const argv of [['ip', 'addr', 'add', `${OUTSIDE.address}/30`, 'dev', 'eth0'], ['ip', 'link', 'set', 'eth0', 'up']]) {
      const r = await runIn(outside.pid, argv);
      if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    }
    servers.push(await startEchoServer(outside.pid, OUTSIDE.address, OUTSIDE.port));

    // The user's own environment (its PATH has no /usr/sbin, as a login's usually has not).
    record = await startRootlessNetwork({ holderPid: holder.pid, stateDir, wrap: keeperWrapper(), env: user.env });
    ports = new RootlessPortSet(PROJECT, record.controlSocket);
  }, 60_000);

  afterAll(async () => {
    try {
      await ports?.close();
      if (stateDir) await stopRootlessNetwork(stateDir);
      for (const s of servers.reverse()) await ('stop' in s ? s.stop() : s.kill());
      await container?.kill();
      await holder?.kill();
      await outside?.kill();
      if (stateDir) expect(rootlessNetworkLeftovers(stateDir)).toEqual([]);
    } finally {
      if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
      // The host's end goes with the namespace of its peer (the kernel does it a moment later).
      for (let i = 0; i < 40 && fs.existsSync(`/sys/class/net/${OUTSIDE.hostSide}`); i++) await sleep(50);
      if (fs.existsSync(`/sys/class/net/${OUTSIDE.hostSide}`)) execFileSync('ip', ['link', 'del', OUTSIDE.hostSide]);
    }
    expect(fs.existsSync(`/sys/class/net/${OUTSIDE.hostSide}`)).toBe(false);
  }, 30_000);

  it('runs the keeper, slirp4netns and the relay as the user, and records them', () => {
    const uid = rootlessUser().uid;
    for (const pid of [record.keeperPid, record.relayPid, 'pid' in record.outbound ? record.outbound.pid : 0]) {
      expect(fs.statSync(`/proc/${pid}`).uid).toBe(uid);
    }
    expect(record.outbound).toMatchObject({ driver: 'slirp4netns', device: 'tap0', dns: '10.0.2.3' });
    // The relay is in the holder's network namespace; the keeper in the host's.
    expect(fs.readlinkSync(`/proc/${record.relayPid}/ns/net`)).toBe(fs.readlinkSync(`/proc/${holder!.pid}/ns/net`));
    expect(fs.readlinkSync(`/proc/${record.keeperPid}/ns/net`)).toBe(fs.readlinkSync('/proc/self/ns/net'));
  });

  it('publishes a fixed and a random TCP port on 127.0.0.1 only, reaching the container', async () => {
    const fixed = await freePort();
    const started = await ports.start([
      { service: 'web', container: CONTAINER, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: fixed, targetIp: WEB, targetPort: 80 },
      { service: 'web', container: CONTAINER, protocol: 'tcp', targetIp: WEB, targetPort: 80 },
    ]);
    const random = started[1]!.hostPort;
    expect(started.map((p) => `${p.hostIp}:${p.hostPort}->${p.targetIp}:${p.target}/${p.protocol}`)).toEqual([`127.0.0.1:${fixed}->${WEB}:80/tcp`, `127.0.0.1:${random}->${WEB}:80/tcp`]);
    expect(random).toBeGreaterThan(0);
    expect(ports.port('web', 80, 'tcp', 2)?.hostPort).toBe(random);

    expect(await httpGet('127.0.0.1', fixed)).toBe('hello from the container\n');
    expect(await httpGet('127.0.0.1', random)).toBe('hello from the container\n');
    expect(listeners(fixed, 'tcp')).toEqual([`127.0.0.1:${fixed}`]);
    expect(listeners(random, 'tcp')).toEqual([`127.0.0.1:${random}`]);
    // Not on the host's other addresses.
    expect(await httpGet(OUTSIDE.hostAddress, fixed)).toBe('ECONNREFUSED');
  });

  it('listens on the address the file names', async () => {
    const [p] = await ports.start([{ service: 'web', container: CONTAINER, protocol: 'tcp', hostIp: '127.0.0.2', targetIp: WEB, targetPort: 80 }]);
    expect(listeners(p!.hostPort, 'tcp')).toEqual([`127.0.0.2:${p!.hostPort}`]);
    expect(await httpGet('127.0.0.2', p!.hostPort)).toBe('hello from the container\n');
    expect(await httpGet('127.0.0.1', p!.hostPort)).toBe('ECONNREFUSED');
  });

  it('shows the container the bridge gateway as the source of published-port connections', async () => {
    const [p] = await ports.start([{ service: 'web', container: CONTAINER, protocol: 'tcp', targetIp: WEB, targetPort: 9000 }]);
    expect(await readAll('127.0.0.1', p!.hostPort)).toBe(BRIDGE.gateway);
  });

  it('publishes a UDP port', async () => {
    const [p] = await ports.start([{ service: 'web', container: CONTAINER, protocol: 'udp', targetIp: WEB, targetPort: 5353 }]);
    expect(p!.protocol).toBe('udp');
    expect(listeners(p!.hostPort, 'udp')).toEqual([`127.0.0.1:${p!.hostPort}`]);
    expect(await udpAsk(p!.hostPort, 'ping')).toBe('echo:ping');
  });

  it('refuses a port in use on the host as root does, and publishes none of that batch', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as net.AddressInfo).port;
    const before = (await ports.refresh()).length;
    try {
      const err = await ports
        .start([
          { service: 'api', container: 'rlnet-api-1', protocol: 'tcp', targetIp: WEB, targetPort: 80 },
          { service: 'api', container: 'rlnet-api-1', protocol: 'tcp', hostPort: taken, targetIp: WEB, targetPort: 80 },
        ])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishError);
      expect((err as PublishError).reason).toBe('EADDRINUSE');
      expect((err as Error).message).toContain(`port ${taken} is already in use on 127.0.0.1`);
      expect(await ports.refresh()).toHaveLength(before);
    } finally {
      busy.close();
    }
  });

  it('keeps the ports for a new client (a restarted supervisor) and gives the same port again', async () => {
    const again = new RootlessPortSet(PROJECT, record.controlSocket);
    try {
      const known = await again.refresh();
      expect(known).toEqual(ports.list());
      // The same two specs as before, a fixed port and a random one: the same two host ports.
      const fixedAndRandom = known.filter((p) => p.target === 80 && p.hostIp === '127.0.0.1' && p.protocol === 'tcp');
      const again2 = await again.start([
        { service: 'web', container: CONTAINER, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: fixedAndRandom[0]!.hostPort, targetIp: WEB, targetPort: 80 },
        { service: 'web', container: CONTAINER, protocol: 'tcp', targetIp: WEB, targetPort: 80 },
      ]);
      expect(again2.map((p) => p.hostPort)).toEqual(fixedAndRandom.map((p) => p.hostPort));
      expect((await again.refresh()).length).toBe(known.length);
    } finally {
      await again.close();
    }
  });

  it('removes the ports of a container when asked', async () => {
    const published = ports.list({ container: CONTAINER });
    expect(published.length).toBeGreaterThan(0);
    await ports.stop(CONTAINER);
    expect(ports.list()).toEqual([]);
    expect(await ports.refresh()).toEqual([]);
    for (const p of published) {
      expect(listeners(p.hostPort, p.protocol)).toEqual([]);
      if (p.protocol === 'tcp') expect(await httpGet(p.hostIp, p.hostPort)).toBe('ECONNREFUSED');
    }
  });

  it('lets the container reach the outside through slirp4netns and NAT', async () => {
    expect(await tcpTry(container!.pid, OUTSIDE.address, OUTSIDE.port, 3000)).toBe('echo:hello');
  });

  it("resolves outside names through slirp4netns's DNS forwarder where the host resolves them", async (ctx) => {
    const host = await runIn(process.pid, ['busybox', 'nslookup', 'deb.debian.org']);
    if (host.code !== 0) ctx.skip();
    const r = await runIn(container!.pid, ['busybox', 'nslookup', 'deb.debian.org', '10.0.2.3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Address');
  });

  it('goes when the holder goes: keeper, relay, slirp4netns, their sockets and the ports', async () => {
    const [p] = await ports.start([{ service: 'web', container: CONTAINER, protocol: 'tcp', targetIp: WEB, targetPort: 80 }]);
    const processes = [record.keeperPid, record.relayPid, 'pid' in record.outbound ? record.outbound.pid : 0];
    // Each pid's state read once: a process may end between two reads.
    const running = (): number[] => processes.filter((pid) => (readProcStat(pid)?.state ?? 'Z') !== 'Z');
    expect(running()).toEqual(processes);
    expect(rootlessNetworkLeftovers(stateDir).length).toBeGreaterThan(0);
    await container!.kill();
    await holder!.kill();
    for (let i = 0; i < 100 && (running().length > 0 || rootlessNetworkLeftovers(stateDir).length > 0); i++) await sleep(50);
    expect(running()).toEqual([]);
    expect(rootlessNetworkLeftovers(stateDir)).toEqual([]);
    expect(listeners(p!.hostPort, 'tcp')).toEqual([]);
    expect(fs.readdirSync(stateDir).filter((f) => f.endsWith('.sock'))).toEqual([]);
    // A client of the keeper that went is told so (it does not wait forever).
    await expect(ports.start([{ service: 'web', container: CONTAINER, protocol: 'tcp', targetIp: WEB, targetPort: 80 }])).rejects.toThrow(/cannot reach the rootless network keeper/);
  });
});

describe.skipIf(unmet(requireRoot(), requireRootlessUser(), requireCommand('nsenter'), requireCommand('busybox'), requireCommand('ss')) || !keeperBuilt())(
  'a holder without outbound network',
  () => {
    it('publishes ports all the same, and says why there is no outbound network', async () => {
      const user = rootlessUser();
      const runtimeDir = fs.mkdtempSync(path.join(user.runtimeDir, 'hafen-net-test-'));
      const stateDir = holderNetworkDir(runtimeDir);
      fs.mkdirSync(stateDir);
      for (const d of [runtimeDir, stateDir]) fs.chownSync(d, user.uid, user.gid);
      fs.writeFileSync(path.join(stateDir, 'index.html'), 'no outbound\n');
      const made: StandIn[] = [];
      try {
        const holder = await startStandInHolder();
        made.push(holder);
        addBridge(holder.pid, 'rl-br1', '10.214.5.1', 24);
        const c = await startStandInContainer(holder.pid, { bridge: 'rl-br1', hostVeth: 'rl-web2', address: '10.214.5.2', prefix: 24, gateway: '10.214.5.1' });
        made.push(c);
        made.push(await startInside(c.pid, ['busybox', 'httpd', '-f', '-p', '10.214.5.2:80', '-h', stateDir], 80));
        // Where the user cannot open /dev/net/tun (this machine kind leaves it 0600), the keeper is
        // started as the machine has it, asking for outbound traffic; elsewhere it is asked for none.
        const tun = userCanOpenTun();
        // Through the holder's network hook, as ensureNamespaceHolder calls it.
        const said: string[] = [];
        const hook = rootlessHolderNetwork({ say: (l) => said.push(l), outbound: !tun, wrap: keeperWrapper({ tun: false }), env: user.env });
        await hook.attach({ pid: holder.pid, ns: { user: `/proc/${holder.pid}/ns/user`, mnt: `/proc/${holder.pid}/ns/mnt`, net: `/proc/${holder.pid}/ns/net` } }, runtimeDir);
        const record = readNetworkRecord(stateDir)!;
        expect(said).toEqual(tun ? [] : [expect.stringContaining('note: containers have no outbound network: /dev/net/tun')]);
        expect(record.outbound).toEqual({ unavailable: tun ? 'not asked for' : expect.stringContaining('/dev/net/tun cannot be opened by this user') });
        await using set = new RootlessPortSet('rlnet2', record.controlSocket);
        const [p] = await set.start([{ service: 'web', container: 'rlnet2-web-1', protocol: 'tcp', targetIp: '10.214.5.2', targetPort: 80 }]);
        expect(await httpGet('127.0.0.1', p!.hostPort)).toBe('no outbound\n');
        // Without its record (a keeper that died while starting never wrote one) it is still found and stopped.
        fs.rmSync(path.join(stateDir, 'network.json'));
        expect(rootlessNetworkLeftovers(stateDir)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^process ${record.keeperPid} `)), expect.stringMatching(new RegExp(`^process ${record.relayPid} `))]));
        await stopRootlessNetwork(stateDir);
        expect(rootlessNetworkLeftovers(stateDir)).toEqual([]);
        expect(listeners(p!.hostPort, 'tcp')).toEqual([]);
      } finally {
        await stopRootlessNetwork(stateDir);
        for (const m of made.reverse()) await m.kill();
        fs.rmSync(runtimeDir, { recursive: true, force: true });
      }
    }, 60_000);
  },
);
