/**
 * Coexisting with Docker's firewall. Where br_netfilter makes bridged frames pass iptables
 * (bridge-nf-call-iptables = 1) and dockerd has set the FORWARD policy to DROP, traffic between two
 * containers on one hafen bridge would be dropped. So each bridge gets one rule accepting its own
 * traffic (in and out on the same bridge: nothing crosses between networks), written to the ledger
 * first and removed with the bridge. Hosts without iptables or without br_netfilter need nothing.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import type { Ledger, LedgerResource } from '../ledger/ledger.js';
import type { PhaseResult } from '../cleanup/phase.js';
import type { CleanupFailure } from '../cleanup/cleanup-error.js';

type FirewallRule = Extract<LedgerResource, { kind: 'firewall' }>;

/** The rule accepting a bridge's own forwarded traffic. */
export function bridgeRule(bridge: string): FirewallRule {
  return { kind: 'firewall', rule: ['FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT'] };
}

/** Whether bridged frames go through iptables here (and iptables exists to let them pass). */
export function bridgedTrafficFiltered(): boolean {
  try {
    if (fs.readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim() !== '1') return false;
  } catch {
    return false; // no br_netfilter: the firewall never sees bridged frames
  }
  // Whether iptables is installed does not change while this process runs: asked once (issue 16).
  return (iptablesPresent ??= spawnSync('iptables', ['--version'], { stdio: 'ignore' }).status === 0);
}

let iptablesPresent: boolean | undefined;

/** bridgedTrafficFiltered without blocking: whether iptables is there is asked of it in the background (a standby supervisor, issue 16). */
export async function bridgedTrafficFilteredAsync(): Promise<boolean> {
  iptablesPresent ??= await new Promise<boolean>((resolve) => execFile('iptables', ['--version'], (err) => resolve(!err)));
  return bridgedTrafficFiltered();
}

function iptablesAsync(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile('iptables', ['-w', '5', ...args], { encoding: 'utf8' }, (err, _stdout, stderr) => resolve({ ok: !err, stderr: (stderr ?? '').trim() }));
  });
}

/**
 * Adds the accept rule for `bridge` when the host filters bridged traffic; ledger first. Run beside
 * the bridge's own making, without blocking (issue 16: each iptables run is tens of ms). For a bridge
 * made just now, the rule is inserted without looking first: a copy an earlier crash left is
 * harmless, and removal takes every copy away.
 */
export async function allowBridgeTraffic(ledger: Ledger, bridge: string, owner?: string, fresh = false): Promise<void> {
  if (!bridgedTrafficFiltered()) return;
  const rule = bridgeRule(bridge);
  ledger.add(rule, owner);
  if (!fresh && (await iptablesAsync(['-C', ...rule.rule])).ok) return;
  const r = await iptablesAsync(['-I', ...rule.rule]);
  if (!r.ok) throw new RuntimeError(`bridge ${bridge}`, `cannot add the firewall rule accepting its traffic: ${r.stderr}`);
}

/** Removes firewall rules; a rule already gone counts as removed. */
export async function removeFirewallRules(rules: FirewallRule[]): Promise<PhaseResult> {
  const removed: LedgerResource[] = [];
  const failures: CleanupFailure[] = [];
  for (const rule of rules) {
    // -D removes one copy; again while -C still finds one (an earlier crash may have inserted it
    // twice). A rule that was there costs two runs of iptables, not three (issue 16); run
    // asynchronously, beside the bridge's own removal.
    let still = true;
    for (let i = 0; i < 10 && still; i++) {
      await iptablesAsync(['-D', ...rule.rule]);
      still = (await iptablesAsync(['-C', ...rule.rule])).ok;
    }
    if (still) failures.push({ resource: `firewall rule ${rule.rule.join(' ')}`, reason: 'still present after iptables -D' });
    else removed.push(rule);
  }
  return { removed, failures };
}
