/**
 * A real two-node Docker Swarm on this machine, for the swarm runtime's tests (../shared/swarm-lab.md):
 * two dockerd, each in its own network namespace and UTS namespace, with their own data, exec roots,
 * containerd namespace and cgroup parent, joined by a veth pair that never touches the root namespace;
 * node A is the manager, node B a worker. The machine's own dockerd is never used or changed.
 *
 *   const lab = await startSwarmLab();           // beforeAll, 15–20 s ({ pool, hostLinks }: see SwarmLabOptions)
 *   await lab.importBusybox('local/busybox:1');  // into both nodes' engines
 *   ... DOCKER_HOST=lab.manager.host ...
 *   await lab.stop();                            // afterAll; also after a failed start
 *   expect(swarmLabLeftovers(lab)).toEqual([]);
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { importBusyboxImage } from '../runtime/docker/test-images.js';
import { readMountInfo } from '../runtime/embedded/mountinfo.js';
import { requireCommand, requireFile, requireRoot, type Requirement } from './requirements.js';

/** One dockerd of the lab. */
export interface SwarmLabNode {
  /** `a` (the manager) or `b` (the worker). */
  readonly role: 'manager' | 'worker';
  /** The node's hostname (its own UTS namespace), as `docker node ls` and task placement name it. */
  readonly hostname: string;
  /** Its network namespace (`ip netns` name). */
  readonly netns: string;
  /** Its address on the veth link. */
  readonly address: string;
  /** Its engine's unix socket path. */
  readonly socket: string;
  /** `unix://…`, for DOCKER_HOST. */
  readonly host: string;
  /** A client of its engine. */
  readonly docker: Docker;
}

/** A running two-node swarm. */
export interface SwarmLab {
  /** The lab's unique tag (in its namespace, link, cgroup and folder names). */
  readonly id: string;
  /** The temp folder holding both nodes' roots. */
  readonly dir: string;
  /** The /24 of 10.<pool>.0.0/16 (default 10.230) this lab's link and overlay networks use. */
  readonly subnet: string;
  /**
   * With `hostLinks`: this machine's address both nodes reach (a registry listening there serves
   * them; their engines take it as an insecure registry). Node A reaches it on its own link, node B
   * on its own link by a host route (`routeToHost` names that route).
   */
  readonly hostAddress?: string;
  /** With `hostLinks`: `ip -n NETNS route …` arguments of node B's route to hostAddress (a test deletes it to cut B off). */
  readonly routeToHost?: { netns: string; route: string[] };
  readonly manager: SwarmLabNode;
  readonly worker: SwarmLabNode;
  readonly nodes: readonly SwarmLabNode[];
  /** Imports the busybox test image as `name` into every node's engine (no registry: `docker import`). */
  importBusybox(name: string): Promise<void>;
  /** Loads a `docker save` archive into every node's engine. */
  loadArchive(file: string): Promise<void>;
  /** Tears the lab down (services, swarm, daemons, mounts, namespaces, cgroups, folder); safe to call twice. */
  stop(): Promise<void>;
}

/** How to make a lab. */
export interface SwarmLabOptions {
  /** Second octet of the /16 its addresses come from (each test file its own; default 230). */
  pool?: number;
  /** Links from this machine's network namespace to each node (no bridge), for a registry both reach (hostAddress). */
  hostLinks?: boolean;
}

/** What the lab needs: root, dockerd, util-linux's nsenter/unshare, iproute2, busybox-static for test images. */
export function requireSwarmLab(): Requirement[] {
  return [requireRoot(), requireCommand('dockerd'), requireCommand('nsenter'), requireCommand('unshare'), requireCommand('setpriv'), requireCommand('ip'), requireFile('/bin/busybox', 'busybox-static')];
}

const LAB_PREFIX = 'hfsw';

function run(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (!allowFail && (r.error || r.status !== 0)) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout ?? '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`swarm lab: ${what} did not happen within ${ms} ms${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(250);
  }
}

/** The cgroup folders a node's containers go under (`--cgroup-parent /<netns>`), in every mounted hierarchy. */
function cgroupDirs(name: string): string[] {
  const mounts = readMountInfo('/proc/self/mountinfo').filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
  return mounts.map((m) => path.join(m.mountPoint, name)).filter((d) => fs.existsSync(d));
}

function removeCgroupTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // a process still in it: reported by swarmLabLeftovers
  }
}

/** Processes whose command line names `dir` (dockerd, its containerd, shims): what a daemon killed hard leaves. */
function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out.filter((p) => p !== process.pid);
}

/** Whether process `pid` exists (a lab's daemon, its owner). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The lab's two nodes: `a` the manager, `b` the worker, at .253 and .254 of `net` (`10.P.O`). */
function labNodes(tag: string, dir: string, net: string): [SwarmLabNode, SwarmLabNode] {
  const node = (letter: 'a' | 'b', role: SwarmLabNode['role']): SwarmLabNode => {
    const socket = path.join(dir, letter, 'sock');
    return { role, hostname: `${tag}${letter}`, netns: `${tag}${letter}`, address: `${net}.${letter === 'a' ? 253 : 254}`, socket, host: `unix://${socket}`, docker: new Docker({ socketPath: socket }) };
  };
  return [node('a', 'manager'), node('b', 'worker')];
}

/** A process's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for the lab's owner. */
function startTime(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[19];
  } catch {
    return undefined;
  }
}

function readOr(file: string, otherwise: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return otherwise;
  }
}

/** Records which process owns the lab in its folder (`owner`: pid and start time), for the reaper. */
function writeOwner(dir: string): void {
  fs.writeFileSync(path.join(dir, 'owner'), `${process.pid} ${startTime(process.pid) ?? ''}\n`);
}

/**
 * Tears down the labs whose owner died without stop() (a test worker killed mid-file): their daemons
 * died with it (pdeathsig, startDaemon), but their namespaces, mounts, cgroups and folder stay. A
 * folder with no `owner` file, or whose owner lives, is left alone. Resolves to the labs reaped.
 */
export async function reapOrphanedSwarmLabs(tmp = os.tmpdir()): Promise<string[]> {
  const reaped: string[] = [];
  for (const entry of fs.readdirSync(tmp)) {
    const m = new RegExp(`^(${LAB_PREFIX}[0-9a-f]{6})-`).exec(entry);
    if (!m) continue;
    const dir = path.join(tmp, entry);
    let owner: string[];
    try {
      owner = fs.readFileSync(path.join(dir, 'owner'), 'utf8').trim().split(' ');
    } catch {
      continue;
    }
    const pid = Number(owner[0]);
    if (alive(pid) && startTime(pid) === owner[1]) continue;
    const tag = m[1]!;
    const pids = ['a', 'b'].map((l) => Number(readOr(path.join(dir, l, 'pid'), '0').trim())).filter((p) => p > 0);
    // The addresses do not matter to a teardown: only the sockets, namespaces and folder do.
    await teardown(tag, dir, labNodes(tag, dir, '0.0.0'), pids.filter(alive));
    reaped.push(tag);
  }
  return reaped;
}

/** Builds and joins the two-node swarm; on any failure tears down what it made and rethrows. */
export async function startSwarmLab(options: SwarmLabOptions = {}): Promise<SwarmLab> {
  await reapOrphanedSwarmLabs();
  const id = randomBytes(3).toString('hex');
  const tag = `${LAB_PREFIX}${id}`;
  const octet = randomBytes(1)[0]!;
  const net = `10.${options.pool ?? 230}.${octet}`;
  const subnet = `${net}.0/24`;
  // Host links: A's /30 at .244 (this machine .245, A .246), B's at .248 (this machine .249, B .250).
  const hostAddress = options.hostLinks ? `${net}.245` : undefined;
  const routeToHost = options.hostLinks ? { netns: `${tag}b`, route: [`${net}.245/32`, 'via', `${net}.249`] } : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-`));
  writeOwner(dir);
  const pids: number[] = [];
  const made = { netns: [] as string[] };
  const [manager, worker] = labNodes(tag, dir, net);
  const nodes = [manager, worker];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await teardown(tag, dir, nodes, pids);
  };
  try {
    for (const n of nodes) {
      run('ip', ['netns', 'add', n.netns]);
      made.netns.push(n.netns);
    }
    // The link exists only inside the two namespaces: a bridge in the root namespace would drop it (br_netfilter).
    run('ip', ['link', 'add', manager.netns, 'netns', manager.netns, 'type', 'veth', 'peer', 'name', worker.netns, 'netns', worker.netns]);
    for (const n of nodes) {
      // The link takes the top /30 of the lab's /24; the overlay networks are allocated from its lower half.
      run('ip', ['-n', n.netns, 'addr', 'add', `${n.address}/30`, 'dev', n.netns]);
      run('ip', ['-n', n.netns, 'link', 'set', n.netns, 'up']);
      run('ip', ['-n', n.netns, 'link', 'set', 'lo', 'up']);
    }
    if (options.hostLinks) {
      for (const [i, n] of nodes.entries()) {
        const base = 244 + 4 * i;
        const outside = `${n.netns}h`;
        run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', `${n.netns}g`, 'netns', n.netns]);
        run('ip', ['addr', 'add', `${net}.${base + 1}/30`, 'dev', outside]);
        run('ip', ['link', 'set', outside, 'up']);
        run('ip', ['-n', n.netns, 'addr', 'add', `${net}.${base + 2}/30`, 'dev', `${n.netns}g`]);
        run('ip', ['-n', n.netns, 'link', 'set', `${n.netns}g`, 'up']);
      }
      run('ip', ['-n', routeToHost!.netns, 'route', 'add', ...routeToHost!.route]);
    }
    for (const [i, n] of nodes.entries()) pids.push(startDaemon(dir, 'ab'[i] as 'a' | 'b', n, hostAddress));
    for (const [i, n] of nodes.entries()) {
      await until(`dockerd of ${n.hostname} answering (log: ${path.join(dir, 'ab'[i]!, 'dockerd.log')})`, 60_000, async () => {
        if (!alive(pids[i]!)) throw new Error(`dockerd exited: ${tail(path.join(dir, 'ab'[i]!, 'dockerd.log'))}`);
        await n.docker.ping();
        return true;
      });
    }
    await manager.docker.swarmInit({
      ListenAddr: `${manager.address}:2377`,
      AdvertiseAddr: manager.address,
      DefaultAddrPool: [`${net}.0/25`],
      SubnetSize: 28,
    });
    const info = (await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    await worker.docker.swarmJoin({ ListenAddr: `${worker.address}:2377`, AdvertiseAddr: worker.address, RemoteAddrs: [`${manager.address}:2377`], JoinToken: info.JoinTokens.Worker });
    await until('both nodes ready in the swarm', 60_000, async () => {
      const list = (await manager.docker.listNodes()) as { Status?: { State?: string } }[];
      return list.length === 2 && list.every((x) => x.Status?.State === 'ready') ? true : undefined;
    });
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return {
    id: tag,
    dir,
    subnet,
    ...(hostAddress ? { hostAddress, routeToHost: routeToHost! } : {}),
    manager,
    worker,
    nodes,
    importBusybox: async (name) => {
      await Promise.all(nodes.map((n) => importBusyboxImage(n.docker, name)));
    },
    loadArchive: async (file) => {
      await Promise.all(
        nodes.map(async (n) => {
          const stream = await n.docker.loadImage(fs.createReadStream(file));
          await new Promise((resolve, reject) => n.docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve(undefined))));
        }),
      );
    },
    stop,
  };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}

/**
 * One node's dockerd: its own UTS namespace (hostname), only the network namespace entered (`ip netns
 * exec` remounts /sys and dockerd then finds no devices cgroup), its own roots, key and containerd namespace.
 */
function startDaemon(dir: string, letter: 'a' | 'b', n: SwarmLabNode, hostAddress?: string): number {
  const root = path.join(dir, letter);
  fs.mkdirSync(root, { recursive: true });
  // Without its own key both nodes would share /etc/docker/key.json; the path is accepted only here.
  // A registry on the host address is plain http: the engines pull from it as an insecure registry.
  const config = { 'deprecated-key-path': path.join(root, 'key.json'), ...(hostAddress ? { 'insecure-registries': [`${hostAddress}/32`] } : {}) };
  fs.writeFileSync(path.join(root, 'daemon.json'), JSON.stringify(config));
  const log = fs.openSync(path.join(root, 'dockerd.log'), 'a');
  const args = [
    '--uts', 'sh', '-c', `hostname ${n.hostname} && exec nsenter --net=/run/netns/${n.netns} dockerd "$@"`, 'dockerd',
    '--config-file', path.join(root, 'daemon.json'),
    '--data-root', path.join(root, 'data'),
    '--exec-root', path.join(root, 'exec'),
    '--pidfile', path.join(root, 'pid'),
    '-H', `unix://${n.socket}`,
    '--containerd-namespace', n.netns,
    '--containerd-plugins-namespace', `${n.netns}p`,
    '--cgroup-parent', `/${n.netns}`,
    '--bridge=none',
  ];
  // setpriv --pdeathsig: the daemon (exec'd through unshare, sh and nsenter, which keep the setting) gets
  // SIGTERM when the process that started the lab dies without stop(); it then stops its task containers
  // and its containerd. What it leaves (namespaces, mounts, cgroups, folder) the next lab's reaper removes.
  const child = spawn('setpriv', ['--pdeathsig', 'TERM', 'unshare', ...args], { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error('swarm lab: unshare did not start');
  return child.pid; // setpriv execs unshare, the shell execs nsenter, which execs dockerd: one pid all along
}

async function teardown(tag: string, dir: string, nodes: readonly SwarmLabNode[], pids: number[]): Promise<void> {
  if (pids.some(alive)) await leaveSwarm(nodes); // a reaped lab's daemons are gone: nothing to ask them
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await until('the daemons stopped', 30_000, async () => (pids.some(alive) ? undefined : true)).catch(() => {});
  // A daemon that did not stop, or stopped hard, leaves its containerd and shims: by their command lines.
  for (const pid of [...pids.filter(alive), ...processesUnder(dir)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await until('the daemons\' processes gone', 10_000, async () => (processesUnder(dir).length === 0 ? true : undefined)).catch(() => {});
  // What a daemon leaves mounted under its roots (overlays, netns binds, shm) blocks removing them.
  const mounted = readMountInfo('/proc/self/mountinfo').map((m) => m.mountPoint).filter((p) => p.startsWith(`${dir}/`)).reverse();
  for (const p of mounted) run('umount', ['-l', p], true);
  // Host links deleted here, not left to the namespaces' teardown: the kernel takes a namespace's veths away a moment later.
  for (const n of nodes) if (fs.existsSync(`/sys/class/net/${n.netns}h`)) run('ip', ['link', 'del', `${n.netns}h`], true);
  for (const n of nodes) run('ip', ['netns', 'del', n.netns], true); // the veths go with them
  for (const n of nodes) for (const d of cgroupDirs(n.netns)) removeCgroupTree(d);
  fs.rmSync(dir, { recursive: true, force: true });
  void tag;
}

/** Services removed (their tasks' containers go with them), then each node leaves, workers first. */
async function leaveSwarm(nodes: readonly SwarmLabNode[]): Promise<void> {
  const manager = nodes[0]!;
  try {
    const services = (await manager.docker.listServices()) as { ID: string }[];
    await Promise.all(services.map((s) => manager.docker.getService(s.ID).remove().catch(() => {})));
  } catch {
    // not a manager, or not running: nothing to remove through it
  }
  await Promise.all(
    nodes.map((n) =>
      until('the task containers gone', 30_000, async () => ((await n.docker.listContainers({ all: true })).length === 0 ? true : undefined)).catch(() => {}),
    ),
  );
  for (const n of [...nodes].reverse()) await n.docker.swarmLeave({ force: true }).catch(() => {});
}

/** What of a lab is still on the machine: namespaces, processes, mounts, cgroup folders, its folder. Empty when clean. */
export function swarmLabLeftovers(lab: Pick<SwarmLab, 'id' | 'dir'>): string[] {
  const out: string[] = [];
  let netns: string[] = [];
  try {
    netns = fs.readdirSync('/run/netns');
  } catch {
    // none made yet
  }
  out.push(...netns.filter((n) => n.startsWith(lab.id)).map((n) => `network namespace ${n}`));
  out.push(...fs.readdirSync('/sys/class/net').filter((n) => n.startsWith(lab.id)).map((n) => `link ${n}`)); // host links go with their namespaces
  out.push(...processesUnder(lab.dir).map((p) => `process ${p} (${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]})`));
  out.push(...readMountInfo('/proc/self/mountinfo').filter((m) => m.mountPoint.startsWith(lab.dir)).map((m) => `mount ${m.mountPoint}`));
  for (const letter of ['a', 'b']) out.push(...cgroupDirs(`${lab.id}${letter}`).map((d) => `cgroup ${d}`));
  if (fs.existsSync(lab.dir)) out.push(`folder ${lab.dir}`);
  return out;
}
