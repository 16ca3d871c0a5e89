/**
 * Cleanup of network links: veths, then bridges, deleted in one `ip -force -batch -` run; a link
 * already gone (no /sys/class/net/NAME) costs no spawn. Each is checked gone afterwards.
 */
import fs from 'node:fs';
import type { LedgerResource } from '../ledger/ledger.js';
import type { PhaseResult } from './phase.js';
import { runCommand, stderrAbout } from './run-command.js';

type LinkEntry = Extract<LedgerResource, { kind: 'veth' | 'bridge' }>;

/** Whether the link `name` exists in this network namespace. */
export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

/** Deletes `links` in the order given (veths before bridges); a link already gone is fine. */
export async function removeLinks(links: LinkEntry[]): Promise<PhaseResult> {
  const result: PhaseResult = { removed: [], failures: [] };
  const present = links.filter((l) => linkExists(l.name));
  let stderr = '';
  if (present.length > 0) {
    // Deleting one end of a veth pair takes the other with it: later lines may fail harmlessly.
    const batch = present.map((l) => `link del dev ${l.name}\n`).join('');
    stderr = (await runCommand('ip', ['-force', '-batch', '-'], batch)).stderr;
  }
  for (const l of links) {
    if (!linkExists(l.name)) result.removed.push(l);
    else result.failures.push({ resource: `${l.kind} ${l.name}`, reason: `still there after ip link del: ${stderrAbout(stderr, l.name) || 'no reason given'}` });
  }
  return result;
}
