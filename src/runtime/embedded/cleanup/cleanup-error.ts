/** A cleanup that could not remove everything: names each resource left and why, all in one error. */
import { RuntimeError } from '../../../errors.js';

/** One resource that is still there after cleanup. */
export interface CleanupFailure {
  /** e.g. `mount /var/lib/hafen/projects/shop/containers/db/rootfs`, `veth hv8d900151acb32` */
  resource: string;
  reason: string;
}

/** Thrown by cleanupLedger after it removed all it could; `failures` lists what is left. */
export class CleanupError extends RuntimeError {
  readonly failures: readonly CleanupFailure[];
  constructor(ledgerFile: string, failures: CleanupFailure[]) {
    const lines = failures.map((f) => `  ${f.resource}: ${f.reason}`).join('\n');
    super(`ledger ${ledgerFile}`, `${failures.length} resource(s) could not be removed:\n${lines}`);
    this.failures = failures;
  }
}
