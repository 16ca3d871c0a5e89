/**
 * What a standby supervisor (standby-order.ts) does while it waits for its order: the one-time work
 * its first `up` would otherwise do on the critical path (issue 16). Only looks and computes; makes
 * nothing on the system, so a standby that is dismissed leaves nothing.
 */
import { containerCapabilities } from '../runtime/embedded/containers/process-spec.js';
import { bridgedTrafficFilteredAsync } from '../runtime/embedded/network/firewall.js';
import { containerSeccompFilter } from '../seccomp/container-filter.js';

/** Compiles the default seccomp filter for Docker's default capabilities (kept for the process), and asks once whether iptables is there. */
export async function warmUp(): Promise<void> {
  try {
    containerSeccompFilter({ kind: 'default' }, containerCapabilities({ privileged: false, capAdd: [], capDrop: [] }));
  } catch {
    // The start that needs it says what is wrong.
  }
  await bridgedTrafficFilteredAsync().catch(() => undefined);
}
