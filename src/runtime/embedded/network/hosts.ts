/**
 * The name files of a container, as text: `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`. Pure.
 *
 * There is no DNS server in a stack: every name a container may use is in its /etc/hosts. For each
 * network it shares with the container, another container is listed by its instance name (`api-1`),
 * its container name, its service name (a service with replicas: the first instance), and its aliases
 * on that network; the container's own `links` (`db:database`) add names of its own. Each name maps to
 * the address on the SHARED network, and a name is written once: the first network in the container's
 * order wins, as the primary network does in Docker.
 */

/** One container as the name files see it. */
export interface HostsMember {
  /** Container name, e.g. `shop-api-1`. */
  container: string;
  service: string;
  /** Instance name, e.g. `api-1`. */
  instance: string;
  /** 1-based replica number; the service name goes to the lowest one on a network. */
  replica: number;
  hostname: string;
  /** Networks in the container's order (primary first), with its address and aliases on each. */
  networks: { network: string; address: string; aliases: string[] }[];
  /** Names this container gives other services, or containers by name (`links: ["db:database"]`). */
  links: { service: string; alias: string }[];
  /** Extra lines from the stack file (`extra_hosts`): name → address, already resolved. */
  extraHosts: Record<string, string>;
}

const LOCALHOST = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** Collects names per address, each name once, keeping first-seen order. */
class HostsTable {
  private readonly byAddress = new Map<string, string[]>();
  private readonly seen = new Set<string>(['localhost', 'ip6-localhost', 'ip6-loopback']);

  add(address: string, name: string): void {
    if (!name || this.seen.has(name)) return;
    this.seen.add(name);
    const names = this.byAddress.get(address);
    if (names) names.push(name);
    else this.byAddress.set(address, [name]);
  }

  lines(): string[] {
    return [...this.byAddress].map(([address, names]) => `${address}\t${names.join(' ')}`);
  }
}

function byServiceThenReplica(a: HostsMember, b: HostsMember): number {
  return a.service < b.service ? -1 : a.service > b.service ? 1 : a.replica - b.replica;
}

/** Member lists sorted by service then replica, per list (lists are not changed once made). */
const sorted = new WeakMap<readonly HostsMember[], readonly HostsMember[]>();

function sortedMembers(members: readonly HostsMember[]): readonly HostsMember[] {
  let list = sorted.get(members);
  if (!list) sorted.set(members, (list = [...members].sort(byServiceThenReplica)));
  return list;
}

/** The /etc/hosts of `self`, given every container of the stack that is up (self included or not). */
export function renderHosts(self: HostsMember, members: readonly HostsMember[]): string {
  const table = new HostsTable();
  for (const [name, address] of Object.entries(self.extraHosts)) table.add(address, name);

  const primary = self.networks[0]?.address ?? '127.0.1.1';
  table.add(primary, self.hostname);
  const short = self.hostname.split('.')[0]!;
  if (short !== self.hostname) table.add(primary, short);

  // As [self, ...others] sorted stably (self before its equals), from one sort per member list:
  // a rewrite renders the files of a hundred containers from the same list (issue 16).
  const everyone = sortedMembers(members).filter((m) => m.container !== self.container);
  const at = everyone.findIndex((m) => byServiceThenReplica(m, self) >= 0);
  everyone.splice(at < 0 ? everyone.length : at, 0, self);
  const addressOn = (m: HostsMember, network: string): string | undefined => m.networks.find((n) => n.network === network)?.address;

  // Links first: a link alias is this container's own choice and wins over others' names.
  for (const link of self.links) {
    for (const { network } of self.networks) {
      const target =
        everyone.find((m) => m.service === link.service && addressOn(m, network)) ?? everyone.find((m) => m.container === link.service && addressOn(m, network));
      if (target) {
        table.add(addressOn(target, network)!, link.alias);
        break;
      }
    }
  }
  for (const { network } of self.networks) {
    for (const m of everyone) {
      const entry = m.networks.find((n) => n.network === network);
      if (!entry) continue;
      table.add(entry.address, m.instance);
      table.add(entry.address, m.container);
      table.add(entry.address, m.service);
      for (const alias of entry.aliases) table.add(entry.address, alias);
    }
  }
  return [...LOCALHOST, ...table.lines(), ''].join('\n');
}

/** The /etc/hostname of a container. */
export function renderHostname(hostname: string): string {
  return `${hostname}\n`;
}

/**
 * The /etc/resolv.conf of a container. Nothing of the host's is copied: a stack has no DNS server,
 * names resolve through /etc/hosts, and `ndots:0`, one attempt and a 1 s timeout make any other
 * lookup fail fast instead of hanging.
 */
export function renderResolvConf(): string {
  return '# Generated by hafen: names in this stack resolve through /etc/hosts; there is no DNS server.\noptions ndots:0 timeout:1 attempts:1\n';
}
