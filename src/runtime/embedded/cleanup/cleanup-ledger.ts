/**
 * Removes every live resource of a ledger, in an order that works: processes (and whatever is in
 * the project's cgroups), listeners, mounts (deepest first), network namespaces, veths, bridges,
 * cgroups, folders. Each removal is verified on the real system before the ledger forgets it;
 * what cannot be removed is collected while the rest still goes, and reported in one CleanupError.
 */
import { removeFirewallRules } from '../network/firewall.js';
import type { Ledger, LedgerResource } from '../ledger/ledger.js';
import { CgroupRemoveError, removeCgroupDirs } from '../cgroups/remove-cgroup.js';
import { defaultRoot } from '../store/store-paths.js';
import { CleanupError, type CleanupFailure } from './cleanup-error.js';
import { describeResource, ofKind, type PhaseResult } from './phase.js';
import { removeDirs } from './remove-dirs.js';
import { removeLinks } from './remove-links.js';
import { removeMounts, removeNetns } from './remove-mounts.js';
import { removeProcesses } from './remove-processes.js';

/** Options of cleanupLedger. */
export interface CleanupOptions {
  /** Debug log, one line per resource removed. */
  log?: (line: string) => void;
  /** HAFEN_ROOT: only folders inside it are ever deleted (default: HAFEN_ROOT or /var/lib/hafen). */
  root?: string;
  /** How long to wait for SIGKILLed processes to die (ms, default 5000). */
  processTimeoutMs?: number;
}

/** What a cleanup removed (everything it was asked to, or it throws). */
export interface CleanupSummary {
  removed: LedgerResource[];
}

async function removeCgroups(cgroups: Extract<LedgerResource, { kind: 'cgroup' }>[]): Promise<PhaseResult> {
  const result: PhaseResult = { removed: [], failures: [] };
  for (const c of cgroups) {
    try {
      await removeCgroupDirs([c.path]);
      result.removed.push(c);
    } catch (err) {
      const reason = err instanceof CgroupRemoveError ? err.message : String(err);
      result.failures.push({ resource: `cgroup ${c.path}`, reason });
    }
  }
  return result;
}

/**
 * Removes all that `ledger` says is live. Throws CleanupError naming each resource left (and why)
 * after removing everything else; each removal is written to the ledger as soon as it is verified.
 */
export async function cleanupLedger(ledger: Ledger, options: CleanupOptions = {}): Promise<CleanupSummary> {
  const log = options.log ?? (() => {});
  const root = options.root ?? defaultRoot();
  const live = ledger.live().map((e) => e.resource);
  const removed: LedgerResource[] = [];
  const failures: CleanupFailure[] = [];
  const record = (phase: PhaseResult): void => {
    if (phase.removed.length > 0) ledger.removeAll(phase.removed);
    for (const r of phase.removed) log(`Removed ${describeResource(r)}`);
    removed.push(...phase.removed);
    failures.push(...phase.failures);
  };
  if (live.length === 0) return { removed };
  log(`Removing ${live.length} resources of ${ledger.file}`);

  const cgroups = ofKind(live, 'cgroup');
  record(await removeProcesses(ofKind(live, 'process'), cgroups.map((c) => c.path), options.processTimeoutMs));
  // A listener belongs to a process, and dies with it: there is nothing left to close.
  record({ removed: ofKind(live, 'listener'), failures: [] });
  record(await removeMounts(ofKind(live, 'mount')));
  record(await removeNetns(ofKind(live, 'netns')));
  record(await removeFirewallRules(ofKind(live, 'firewall')));
  record(await removeLinks([...ofKind(live, 'veth'), ...ofKind(live, 'bridge')]));
  record(await removeCgroups(cgroups));
  record(removeDirs(ofKind(live, 'dir'), root, ledger.file));

  if (failures.length > 0) throw new CleanupError(ledger.file, failures);
  return { removed };
}
