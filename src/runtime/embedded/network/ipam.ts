/**
 * Address management for stack networks. Each network gets a subnet from a private pool (default
 * 10.89.0.0/16 in /24s, then 172.29.0.0/16) that overlaps neither the host's routes and addresses nor
 * a subnet another stack holds. Holdings of every stack on this machine are kept in
 * `<HAFEN_ROOT>/networks/allocations.json`, changed under a lock file and written atomically. Inside a
 * subnet the first address is the bridge's (the host side); containers get the next free ones, kept
 * per container name so a restarted container, or another replica, never clashes.
 */
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';
import { defaultRoot } from '../store/store-paths.js';
import { contains, formatCidr, formatIpv4, overlaps, parseCidr, parseIpv4, split, subnetSize, type Cidr } from './cidr.js';
import { withFileLock } from './file-lock.js';
import { readHostSubnets, type HostSubnet } from './host-routes.js';

/** One range of the pool, cut into subnets of `prefix` bits. */
export interface PoolRange {
  range: string;
  prefix: number;
}

/** The pool used unless configured otherwise (option, or HAFEN_SUBNET_POOL). */
export const DEFAULT_POOL: readonly PoolRange[] = [
  { range: '10.89.0.0/16', prefix: 24 },
  { range: '172.29.0.0/16', prefix: 24 },
];

/** What one stack network holds: its subnet, the bridge's address, and each container's. */
export interface NetworkAllocation {
  project: string;
  network: string;
  subnet: string;
  prefix: number;
  /** The bridge's address (the subnet's first). */
  gateway: string;
  /** Container name → address. */
  addresses: Record<string, string>;
}

interface AllocationsFile {
  version: 1;
  /** Keyed `project/network`. */
  networks: Record<string, NetworkAllocation>;
}

/** Where the holdings of every stack are kept. */
export function allocationsFile(root: string): string {
  return path.join(root, 'networks', 'allocations.json');
}

/**
 * Parses a pool as `RANGE:PREFIX[,RANGE:PREFIX…]`, e.g. `10.89.0.0/16:24,172.29.0.0/16:24`
 * (HAFEN_SUBNET_POOL); throws on anything else.
 */
export function parseSubnetPool(text: string): PoolRange[] {
  return text.split(',').map((part) => {
    const [range, prefix] = part.trim().split(':');
    const cidr = range ? parseCidr(range, true) : undefined;
    const p = Number(prefix);
    if (!cidr || !Number.isInteger(p) || p < cidr.prefix || p > 30) {
      throw new RuntimeError('subnet pool', `${JSON.stringify(part)} is not RANGE:PREFIX (e.g. 10.89.0.0/16:24, prefix at most 30)`);
    }
    return { range: formatCidr(cidr), prefix: p };
  });
}

/** Options of an Ipam. */
export interface IpamOptions {
  /** State root (default HAFEN_ROOT or /var/lib/hafen). */
  root?: string;
  pool?: readonly PoolRange[];
  /** The host's subnets in use; injected by tests, else read with `ip -j`. */
  hostSubnets?: () => Promise<HostSubnet[]>;
}

function resourceName(project: string, network: string): string {
  return `network ${network} (project ${project})`;
}

/** Allocates and releases subnets and addresses of stack networks, for every stack on this host. */
export class Ipam {
  readonly root: string;
  readonly pool: readonly PoolRange[];
  private readonly hostSubnets: () => Promise<HostSubnet[]>;

  constructor(options: IpamOptions = {}) {
    this.root = options.root ?? defaultRoot();
    const env = process.env.HAFEN_SUBNET_POOL;
    this.pool = options.pool ?? (env ? parseSubnetPool(env) : DEFAULT_POOL);
    this.hostSubnets = options.hostSubnets ?? readHostSubnets;
  }

  private get file(): string {
    return allocationsFile(this.root);
  }

  private read(): AllocationsFile {
    const data = readJsonFile<AllocationsFile>(this.file);
    return data?.version === 1 && data.networks ? data : { version: 1, networks: {} };
  }

  /** Reads, changes and writes the holdings under the lock; `change` returns what to hand back. */
  private update<T>(change: (data: AllocationsFile) => T): Promise<T> {
    return withFileLock(`${this.file}.lock`, () => {
      const data = this.read();
      const result = change(data);
      // Not fsynced: it changes on every container create and remove (issue 16), and what it holds
      // (addresses of containers, subnets of bridges) does not outlive a host crash.
      writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n', 0o600, { fsync: false });
      return result;
    });
  }

  /** The holding of one network, if any (read without the lock). */
  get(project: string, network: string): NetworkAllocation | undefined {
    return this.read().networks[`${project}/${network}`];
  }

  /** All holdings, or those of one project. */
  list(project?: string): NetworkAllocation[] {
    return Object.values(this.read().networks).filter((a) => project === undefined || a.project === project);
  }

  /**
   * The subnet of a stack network: the one it holds already, else `requested` (the stack file's
   * `subnet:`) when nothing overlaps it, else the first free subnet of the pool.
   */
  async allocateNetwork(project: string, network: string, requested?: string): Promise<NetworkAllocation> {
    const resource = resourceName(project, network);
    const want = requested === undefined ? undefined : parseCidr(requested, true);
    if (requested !== undefined) {
      const loose = parseCidr(requested);
      if (!want && loose) throw new RuntimeError(resource, `invalid subnet ${requested}: it should be ${formatCidr(loose)}`);
      if (!want) throw new RuntimeError(resource, `invalid subnet ${JSON.stringify(requested)}: expected an IPv4 CIDR such as 172.28.0.0/16`);
      if (want.prefix > 30) throw new RuntimeError(resource, `subnet ${requested} is too small: at most /30`);
    }
    // Read outside the lock: spawning ip is the slow part, and stacks are told apart by the file.
    const host = await this.hostSubnets();
    return this.update((data) => {
      const key = `${project}/${network}`;
      const held = data.networks[key];
      if (held) {
        if (want && held.subnet !== formatCidr(want)) {
          throw new RuntimeError(resource, `already has subnet ${held.subnet}, not ${requested}; remove the network (stack down) to change it`);
        }
        return held;
      }
      const others = Object.entries(data.networks).filter(([k]) => k !== key).map(([, a]) => a);
      const conflict = (c: Cidr): string | undefined => {
        const other = others.find((a) => overlaps(c, parseCidr(a.subnet)!));
        if (other) return `network ${other.network} of project ${other.project} holds ${other.subnet}`;
        const route = host.find((h) => overlaps(c, h.cidr));
        return route ? `the host uses it (${route.source})` : undefined;
      };
      let chosen: Cidr | undefined;
      if (want) {
        const why = conflict(want);
        if (why) throw new RuntimeError(resource, `subnet ${requested} is not free: ${why}`);
        chosen = want;
      } else {
        chosen = this.firstFree(conflict);
        if (!chosen) {
          const pool = this.pool.map((p) => `${p.range} (/${p.prefix}s)`).join(', ');
          throw new RuntimeError(resource, `no free subnet left in the pool ${pool}; remove stacks no longer used, or give the network a subnet`);
        }
      }
      const alloc: NetworkAllocation = {
        project,
        network,
        subnet: formatCidr(chosen),
        prefix: chosen.prefix,
        gateway: formatIpv4(chosen.base + 1),
        addresses: {},
      };
      data.networks[key] = alloc;
      return alloc;
    });
  }

  private firstFree(conflict: (c: Cidr) => string | undefined): Cidr | undefined {
    for (const p of this.pool) {
      const range = parseCidr(p.range, true);
      if (!range) throw new RuntimeError('subnet pool', `${p.range} is not a subnet`);
      for (const c of split(range, p.prefix)) if (!conflict(c)) return c;
    }
    return undefined;
  }

  /** Gives a network's subnet (and its containers' addresses) back; call once its bridge is gone. */
  async releaseNetwork(project: string, network: string): Promise<void> {
    await this.update((data) => {
      delete data.networks[`${project}/${network}`];
    });
  }

  /** Gives back every holding of `project` (its `down`, or a cleanup after a crash). */
  async releaseProject(project: string): Promise<void> {
    await this.update((data) => {
      for (const [k, a] of Object.entries(data.networks)) if (a.project === project) delete data.networks[k];
    });
  }

  /**
   * The address of `container` on a network: the one it holds (restarts keep it), else `requested`
   * (the stack file's `ipv4_address`) when free, else the lowest free one after the bridge's.
   */
  async assignAddress(project: string, network: string, container: string, requested?: string): Promise<string> {
    const [address] = await this.assignAddresses(project, container, [{ network, requested }]);
    return address!;
  }

  /** The addresses of `container` on several networks at once (one lock, one write), in the order asked. */
  assignAddresses(project: string, container: string, wanted: { network: string; requested?: string }[]): Promise<string[]> {
    return this.update((data) =>
      wanted.map(({ network, requested }) => {
        const alloc = data.networks[`${project}/${network}`];
        if (!alloc) throw new RuntimeError(resourceName(project, network), `has no subnet yet; create the network before ${container} joins it`);
        const address = pickAddress(alloc, container, requested);
        alloc.addresses[container] = address;
        return address;
      }),
    );
  }

  /** Gives a container's addresses back, on `networks` or on all (when it is removed, not merely stopped). */
  async releaseAddresses(project: string, container: string, networks?: string[]): Promise<void> {
    await this.update((data) => {
      for (const alloc of Object.values(data.networks)) {
        if (alloc.project === project && (!networks || networks.includes(alloc.network))) delete alloc.addresses[container];
      }
    });
  }
}

/** Chooses the address of `container` in `alloc` (see assignAddress); throws naming the clash. */
function pickAddress(alloc: NetworkAllocation, container: string, requested: string | undefined): string {
  const resource = resourceName(alloc.project, alloc.network);
  const held = alloc.addresses[container];
  if (held && (requested === undefined || held === requested)) return held;
  const subnet = parseCidr(alloc.subnet)!;
  const taken = new Map(Object.entries(alloc.addresses).filter(([c]) => c !== container).map(([c, a]) => [a, c]));
  const last = subnet.base + subnetSize(subnet.prefix) - 1;
  if (requested !== undefined) {
    const ip = parseIpv4(requested);
    const bad = (why: string): RuntimeError => new RuntimeError(resource, `${container}: ipv4_address ${requested} ${why}`);
    if (ip === undefined) throw bad('is not an IPv4 address');
    if (!contains(subnet, ip)) throw bad(`is not in the network's subnet ${alloc.subnet}`);
    if (ip === subnet.base || ip === last) throw bad("is the subnet's network or broadcast address");
    if (requested === alloc.gateway) throw bad("is the bridge's (gateway) address");
    const owner = taken.get(requested);
    if (owner) throw bad(`is taken by ${owner}`);
    return requested;
  }
  for (let ip = subnet.base + 2; ip < last; ip++) {
    const text = formatIpv4(ip);
    if (!taken.has(text)) return text;
  }
  throw new RuntimeError(resource, `no free address left in ${alloc.subnet} for ${container}`);
}
