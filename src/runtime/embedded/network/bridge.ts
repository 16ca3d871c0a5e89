/**
 * The Linux bridge of a stack network: one per (project, network), named by ./names.ts, holding the
 * subnet's first address on the host side. Written to the project's ledger before it is made.
 *
 * Isolation between networks rests on routing, not on packet filters: containers get only the
 * on-link route of each subnet they are on and no default route (see ./attach.ts), so a container
 * has no way to address a subnet it is not on; and the host does not forward what arrives on a
 * bridge (its `forwarding` is switched off), so a hand-made route or frame towards the host gets
 * no further either.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { formatIpv4, parseCidr } from './cidr.js';
import { ipBatch, ipBatchResult } from './ip-command.js';
import { allowBridgeTraffic, bridgeRule, removeFirewallRules } from './firewall.js';
import { bridgeName } from './names.js';
import { traced } from '../../../trace.js';

/** A sink for "Creating …"/"Created …" lines (debug level). */
export type DebugLog = (message: string) => void;

/** What a bridge is made for. */
export interface BridgeSpec {
  project: string;
  network: string;
  /** The network's subnet, `A.B.C.D/N` (from the Ipam). */
  subnet: string;
}

/** A bridge as made: its name and the host side's address. */
export interface BridgeInfo {
  network: string;
  name: string;
  subnet: string;
  prefix: number;
  /** The bridge's own address, the subnet's first. */
  gateway: string;
}

/** Whether the link `name` exists in the host's network namespace. */
export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

/**
 * A fixed, locally administered MAC address. A bridge without one takes the lowest MAC of its ports,
 * so it would change as containers come and go and leave stale ARP entries in the containers.
 */
function bridgeMac(project: string, network: string): string {
  const h = createHash('sha256').update(`mac:${project}/${network}`).digest();
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** Switches off IPv4 forwarding of packets that arrive on `name` (defence in depth, see above). */
function stopForwarding(name: string): void {
  try {
    fs.writeFileSync(`/proc/sys/net/ipv4/conf/${name}/forwarding`, '0');
  } catch {
    // A read-only /proc/sys: isolation still holds through the containers' routes.
  }
}

/**
 * Creates the bridge of a stack network with the subnet's first address, up, with no STP delay
 * (forward_delay 0, so a new port forwards at once). Idempotent: an existing bridge of the same
 * name (an earlier run killed midway) gets its address set again.
 */
export async function createBridge(ledger: Ledger, spec: BridgeSpec, log?: DebugLog): Promise<BridgeInfo> {
  const name = bridgeName(spec.project, spec.network);
  const resource = `network ${spec.network} (bridge ${name})`;
  const cidr = parseCidr(spec.subnet, true);
  if (!cidr || cidr.prefix > 30) throw new RuntimeError(resource, `cannot use subnet ${JSON.stringify(spec.subnet)}`);
  const gateway = formatIpv4(cidr.base + 1);
  log?.(`Creating bridge ${name} for network ${spec.network} (${gateway}/${cidr.prefix})`);
  ledger.add({ kind: 'bridge', name }, `network ${spec.network}`);
  const exists = linkExists(name);
  // The bridge and its firewall rule are made at the same time: each is a wait on another program (issue 16).
  const [link, firewall] = await Promise.allSettled([
    ipBatch(resource, [
      exists
        ? `link set dev ${name} type bridge forward_delay 0`
        : `link add ${name} address ${bridgeMac(spec.project, spec.network)} type bridge forward_delay 0`,
      ...(exists ? [`addr flush dev ${name}`] : []),
      `addr add ${gateway}/${cidr.prefix} dev ${name}`,
      `link set dev ${name} up`,
    ]),
    allowBridgeTraffic(ledger, name, `network ${spec.network}`, !exists),
  ]);
  if (link.status === 'rejected') throw link.reason;
  if (firewall.status === 'rejected') throw firewall.reason;
  stopForwarding(name);
  log?.(`Created bridge ${name}`);
  return { network: spec.network, name, subnet: spec.subnet, prefix: cidr.prefix, gateway };
}

/**
 * Deletes the bridge of a stack network (its ports are let go; containers' veths stay until they are
 * detached), checks it is gone, then strikes it from the ledger. A bridge already gone is fine.
 */
export async function removeBridge(ledger: Ledger, spec: { project: string; network: string }, log?: DebugLog): Promise<void> {
  const name = bridgeName(spec.project, spec.network);
  const resource = `network ${spec.network} (bridge ${name})`;
  log?.(`Removing bridge ${name}`);
  // The bridge and its firewall rule go at the same time: each is a wait on another program (issue 16).
  // The rule is in the ledger when it was ever added (ledger first): asking the ledger spares a
  // command that never ran iptables its check that iptables is there (issue 16).
  const rule = firewallRuleInLedger(ledger, name);
  const [link, firewall] = await Promise.all([
    linkExists(name) ? traced('bridge: link del', name, () => ipBatchResult([`link del dev ${name}`], { force: true })) : undefined,
    rule ? traced('bridge: firewall rule', name, () => removeFirewallRules([rule])) : undefined,
  ]);
  if (link && linkExists(name)) throw new RuntimeError(resource, `still there after ip link del: ${link.stderr || 'no reason given'}`);
  ledger.remove({ kind: 'bridge', name });
  if (rule) {
    if (firewall!.failures.length > 0) throw new RuntimeError(resource, firewall!.failures[0]!.reason);
    ledger.remove(rule);
  }
  log?.(`Removed bridge ${name}`);
}

/** The bridge's firewall rule, when the ledger says it was added and not removed yet. */
function firewallRuleInLedger(ledger: Ledger, bridge: string): ReturnType<typeof bridgeRule> | undefined {
  const rule = bridgeRule(bridge);
  const key = rule.rule.join(' ');
  return ledger.live().some((e) => e.resource.kind === 'firewall' && e.resource.rule.join(' ') === key) ? rule : undefined;
}
