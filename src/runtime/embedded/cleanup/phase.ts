/** What each cleanup phase returns: the resources verified gone, and those left with the reason. */
import type { LedgerResource } from '../ledger/ledger.js';
import type { CleanupFailure } from './cleanup-error.js';

/** The outcome of one phase. */
export interface PhaseResult {
  removed: LedgerResource[];
  failures: CleanupFailure[];
}

/** A resource as people read it: `mount /path`, `veth NAME`, `process 1234`. */
export function describeResource(r: LedgerResource): string {
  switch (r.kind) {
    case 'process':
      return `process ${r.pid}`;
    case 'veth':
    case 'bridge':
      return `${r.kind} ${r.name}`;
    case 'listener':
      return `listener ${r.address}`;
    case 'firewall':
      return `firewall rule ${r.rule.join(' ')}`;
    case 'mount':
    case 'cgroup':
    case 'netns':
    case 'dir':
      return `${r.kind} ${r.path}`;
    default: {
      const never: never = r;
      throw new Error(`unknown ledger resource ${JSON.stringify(never)}`);
    }
  }
}

/** The entries of one kind, typed. */
export function ofKind<K extends LedgerResource['kind']>(all: LedgerResource[], kind: K): Extract<LedgerResource, { kind: K }>[] {
  return all.filter((r): r is Extract<LedgerResource, { kind: K }> => r.kind === kind);
}
