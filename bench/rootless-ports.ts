/**
 * Published ports of a rootless holder against root's (issue 17): connect latency (connect, one byte
 * there and back, close) and throughput (a container sends BULK_MIB MiB to a client on the host),
 * through
 *   - root's userland proxy (ports/ProxySet, in a process of its own) to a server in a netns on a bridge;
 *   - the rootless keeper's relay (RootlessPortSet) to the same server in a stand-in container inside
 *     a stand-in holder, everything done as the rootless test user;
 *   - slirp4netns's own port forwarding (add_hostfwd on the keeper's slirp4netns API socket) to that
 *     container, the alternative the relay was chosen over;
 * and outbound throughput from that container to a server beyond a host veth, through slirp4netns.
 * Medians of RUNS runs (each run: CONNECTS connections, one bulk transfer), min–max of the runs.
 * Needs root, the rootless test user (made when missing), slirp4netns, busybox. Run as root:
 *   npm run build && node dist/bench/rootless-ports.js
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runIn, spawnNetns, type NetnsProcess } from '../src/runtime/embedded/network/test-netns.js';
import { startRootlessNetwork, stopRootlessNetwork } from '../src/runtime/embedded/rootless/network-lifecycle.js';
import { RootlessPortSet } from '../src/runtime/embedded/rootless/network-port-set.js';
import { addBridge, inHolder, keeperWrapper, startInside, startStandInContainer, startStandInHolder, type StandIn } from '../src/runtime/embedded/rootless/network-test-holder.js';
import { rootlessUser } from '../src/testing/rootless-user.js';
import { freePort } from '../src/testing/free-port.js';

const RUNS = Number(process.env.RUNS ?? 5);
const CONNECTS = Number(process.env.CONNECTS ?? 200);
const BULK_MIB = Number(process.env.BULK_MIB ?? 256);
const here = path.dirname(fileURLToPath(import.meta.url));

/** A server: port P echoes, port P+1 sends BULK_MIB MiB and closes, to each connection. */
const SERVER = `
const net = require('node:net');
const [host, port, mib] = process.argv.slice(1);
const chunk = Buffer.alloc(1 << 20, 120);
net.createServer((s) => { s.on('data', (d) => s.write(d)); s.on('error', () => {}); }).listen(Number(port), host);
net.createServer((s) => {
  let left = Number(mib);
  s.on('error', () => {});
  const more = () => { while (left > 0) { left--; if (!s.write(chunk)) return void s.once('drain', more); } s.end(); };
  more();
}).listen(Number(port) + 1, host);
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Microseconds of one connect + 1-byte round trip + close. */
function oneConnect(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = net.connect({ host, port, noDelay: true });
    s.once('connect', () => s.write('x'));
    s.once('data', () => {
      s.destroy();
      resolve(Number(process.hrtime.bigint() - t0) / 1000);
    });
    s.once('error', reject);
  });
}

/** MB/s of one bulk download. */
function bulk(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    const s = net.connect({ host, port });
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.once('end', () => {
      if (bytes !== BULK_MIB << 20) return reject(new Error(`got ${bytes} bytes of ${BULK_MIB << 20}`));
      resolve(bytes / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9));
    });
    s.once('error', reject);
  });
}

interface Path {
  label: string;
  host: string;
  echo: number;
  bulk: number;
}

async function measure(paths: Path[]): Promise<Map<string, { latency: number[]; throughput: number[] }>> {
  const results = new Map(paths.map((p) => [p.label, { latency: [] as number[], throughput: [] as number[] }]));
  const drop = (p: Path, err: unknown): void => {
    console.log(`${p.label}: does not work: ${(err as Error).message}`);
    paths.splice(paths.indexOf(p), 1);
    results.delete(p.label);
  };
  for (let run = -1; run < RUNS; run++) {
    // Connections interleaved across the paths (one each in turn), bulk transfers alternating, so
    // the machine's noise hits every path alike; run -1 warms up.
    const times = new Map(paths.map((p) => [p.label, [] as number[]]));
    for (let i = 0; i < CONNECTS; i++) {
      for (const p of [...paths]) {
        try {
          times.get(p.label)!.push(await oneConnect(p.host, p.echo));
        } catch (err) {
          drop(p, err);
        }
      }
    }
    for (const p of [...paths]) {
      let mbs: number;
      try {
        mbs = await bulk(p.host, p.bulk);
      } catch (err) {
        drop(p, err);
        continue;
      }
      if (run < 0) continue;
      results.get(p.label)!.latency.push(median(times.get(p.label)!));
      results.get(p.label)!.throughput.push(mbs);
    }
  }
  return results;
}

function line(label: string, xs: number[], unit: string, digits: number): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${label.padEnd(46)} ${median(s).toFixed(digits).padStart(8)} ${unit} (${s[0]!.toFixed(digits)}–${s[s.length - 1]!.toFixed(digits)})`;
}

/** Asks slirp4netns's API socket; its JSON answer. */
function slirpApi(socket: string, request: unknown): Promise<{ return?: unknown; error?: { desc: string } }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket);
    let text = '';
    c.on('connect', () => c.end(JSON.stringify(request)));
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('end', () => resolve(JSON.parse(text) as { return?: unknown; error?: { desc: string } }));
    c.on('error', reject);
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the bench makes the rootless user and a root baseline');
  const user = rootlessUser();
  const stateDir = fs.mkdtempSync(path.join(user.runtimeDir, 'hafen-net-bench-'));
  fs.chownSync(stateDir, user.uid, user.gid);
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    // Root's side: a netns behind a veth, the server in it, ProxySet in a process of its own.
    const rootNs: NetnsProcess = await spawnNetns();
    cleanups.push(() => rootNs.kill());
    const veth = `rlb${process.pid % 100000}`;
    execFileSync('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', `/proc/${rootNs.pid}/ns/net`]);
    cleanups.push(() => void (fs.existsSync(`/sys/class/net/${veth}`) && execFileSync('ip', ['link', 'del', veth])));
    // A bridge, as root's runtime has one per network (bridged frames pass netfilter here too).
    const bridge = `rlbb${process.pid % 100000}`;
    execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
    cleanups.push(() => void (fs.existsSync(`/sys/class/net/${bridge}`) && execFileSync('ip', ['link', 'del', bridge])));
    execFileSync('ip', ['addr', 'add', '10.214.252.1/30', 'dev', bridge]);
    execFileSync('ip', ['link', 'set', bridge, 'up']);
    execFileSync('ip', ['link', 'set', veth, 'master', bridge, 'up']);
    await runIn(rootNs.pid, ['ip', 'addr', 'add', '10.214.252.2/30', 'dev', 'eth0']);
    await runIn(rootNs.pid, ['ip', 'link', 'set', 'eth0', 'up']);
    const rootServer = spawn('nsenter', [`--net=/proc/${rootNs.pid}/ns/net`, process.execPath, '-e', SERVER, '10.214.252.2', '9001', String(BULK_MIB)], { stdio: 'ignore' });
    cleanups.push(() => void rootServer.kill('SIGKILL'));
    const proxyScript = `
      const { ProxySet } = await import(${JSON.stringify(path.resolve(here, '../src/runtime/embedded/ports/index.js'))});
      const set = new ProxySet('bench');
      const ports = await set.start([9001, 9002].map((p) => ({ service: 'b', container: 'b-1', protocol: 'tcp', targetIp: '10.214.252.2', targetPort: p })));
      console.log(JSON.stringify(ports.map((p) => p.hostPort)));`;
    const proxy: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', proxyScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void proxy.kill('SIGKILL'));
    const rootPorts = await new Promise<number[]>((resolve) => proxy.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[])));

    // The rootless side, as the user: holder, bridge, container with the same server, keeper.
    const holder = await startStandInHolder();
    cleanups.push(() => holder.kill());
    addBridge(holder.pid, 'rlb-br0', '10.214.2.1', 24);
    const container: StandIn = await startStandInContainer(holder.pid, { bridge: 'rlb-br0', hostVeth: 'rlb-c1', address: '10.214.2.2', prefix: 24, gateway: '10.214.2.1' });
    cleanups.push(() => container.kill());
    const server = await startInside(container.pid, [process.execPath, '-e', SERVER, '10.214.2.2', '9001', String(BULK_MIB)], 9002);
    cleanups.push(() => server.kill());
    // Outbound: a server beyond a host veth.
    const outside = await spawnNetns();
    cleanups.push(() => outside.kill());
    const oveth = `rlo${process.pid % 100000}`;
    execFileSync('ip', ['link', 'add', oveth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', `/proc/${outside.pid}/ns/net`]);
    cleanups.push(() => void (fs.existsSync(`/sys/class/net/${oveth}`) && execFileSync('ip', ['link', 'del', oveth])));
    execFileSync('ip', ['addr', 'add', '10.214.253.1/30', 'dev', oveth]);
    execFileSync('ip', ['link', 'set', oveth, 'up']);
    await runIn(outside.pid, ['ip', 'addr', 'add', '10.214.253.2/30', 'dev', 'eth0']);
    await runIn(outside.pid, ['ip', 'link', 'set', 'eth0', 'up']);
    const outServer = spawn('nsenter', [`--net=/proc/${outside.pid}/ns/net`, process.execPath, '-e', SERVER, '10.214.253.2', '9001', String(BULK_MIB)], { stdio: 'ignore' });
    cleanups.push(() => void outServer.kill('SIGKILL'));

    const t0 = performance.now();
    const record = await startRootlessNetwork({ holderPid: holder.pid, stateDir, wrap: keeperWrapper(), env: user.env });
    const keeperStart = performance.now() - t0;
    cleanups.push(() => stopRootlessNetwork(stateDir));
    const set = new RootlessPortSet('bench', record.controlSocket);
    cleanups.push(() => set.close());
    const relayPorts = (await set.start([9001, 9002].map((p) => ({ service: 'b', container: 'b-1', protocol: 'tcp' as const, targetIp: '10.214.2.2', targetPort: p })))).map((p) => p.hostPort);

    const paths: Path[] = [
      { label: "root: userland proxy (ProxySet)", host: '127.0.0.1', echo: rootPorts[0]!, bulk: rootPorts[1]! },
      { label: 'rootless: keeper + relay (RootlessPortSet)', host: '127.0.0.1', echo: relayPorts[0]!, bulk: relayPorts[1]! },
    ];
    if ('pid' in record.outbound && record.outbound.apiSocket) {
      // One at a time: slirp4netns's API socket answers one connection at a time. libslirp forwards
      // to its own guest network only: to the container's address directly (refused or reset), and
      // to tap0's address with a DNAT rule in the holder on to the container (what works).
      const api = record.outbound.apiSocket;
      for (const [variant, guestAddr] of [['to the container', '10.214.2.2'], ['to tap0 + DNAT', '10.0.2.100']] as const) {
        const hostPorts = [await freePort(), await freePort()];
        let refused: string | undefined;
        for (const [i, guest] of [9001, 9002].entries()) {
          const guestPort = guestAddr === '10.214.2.2' ? guest : 19001 + i;
          const args = { proto: 'tcp', host_addr: '127.0.0.1', host_port: hostPorts[i], guest_addr: guestAddr, guest_port: guestPort };
          const answer = await slirpApi(api, { execute: 'add_hostfwd', arguments: args });
          refused ??= answer.error?.desc;
          if (guestAddr !== '10.214.2.2') {
            inHolder(holder.pid, ['iptables-nft', '-t', 'nat', '-A', 'PREROUTING', '-i', 'tap0', '-p', 'tcp', '--dport', String(guestPort), '-j', 'DNAT', '--to-destination', `10.214.2.2:${guest}`]);
          }
        }
        if (refused) console.log(`slirp4netns add_hostfwd ${variant}: refused (${refused})`);
        else paths.push({ label: `rootless: slirp4netns add_hostfwd ${variant}`, host: '127.0.0.1', echo: hostPorts[0]!, bulk: hostPorts[1]! });
      }
    }

    console.log(`keeper start (slirp4netns, NAT, relay): ${keeperStart.toFixed(0)} ms`);
    console.log(`${RUNS} runs; connect latency = median of ${CONNECTS} connect+1-byte-echo+close; throughput = ${BULK_MIB} MiB container → host`);
    const results = await measure(paths);
    for (const p of paths) console.log(line(`${p.label}, connect`, results.get(p.label)!.latency, 'µs', 0));
    for (const p of paths) console.log(line(`${p.label}, throughput`, results.get(p.label)!.throughput, 'MB/s', 0));

    // Outbound, from inside the container (as root in its namespace; the path is the user's slirp4netns).
    if ('pid' in record.outbound) {
      const CLIENT = `const net=require('node:net');const t0=process.hrtime.bigint();let n=0;const s=net.connect({host:'10.214.253.2',port:9002});s.on('data',(d)=>n+=d.length);s.on('end',()=>console.log(n/1e6/(Number(process.hrtime.bigint()-t0)/1e9)));`;
      const out: number[] = [];
      for (let run = 0; run < RUNS; run++) out.push(Number((await runIn(container.pid, [process.execPath, '-e', CLIENT], 120_000)).stdout));
      console.log(line('outbound through slirp4netns, throughput', out, 'MB/s', 0));
    }
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err: Error) => console.error(`cleanup: ${err.message}`));
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
