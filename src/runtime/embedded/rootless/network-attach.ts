/**
 * The rootless network as the namespace holder's network hook (./holder-network.ts): registered with
 * `useHolderNetwork(rootlessHolderNetwork({ say }))`, it starts the holder's keeper
 * (./network-lifecycle.ts) in RUNTIME/network when a holder is made, and says once when containers
 * will have no outbound network (published ports work all the same).
 */
import path from 'node:path';
import type { HolderNetwork } from './holder-network.js';
import { startRootlessNetwork, type StartNetworkOptions } from './network-lifecycle.js';

/** The keeper's folder inside the holder's runtime folder. */
export function holderNetworkDir(runtimeDir: string): string {
  return path.join(runtimeDir, 'network');
}

/** A HolderNetwork starting the keeper; `say` gets the one-line note, the rest passes to startRootlessNetwork. */
export function rootlessHolderNetwork(options: { say?: (line: string) => void } & Pick<StartNetworkOptions, 'wrap' | 'env' | 'outbound'> = {}): HolderNetwork {
  return {
    attach: async (holder, runtimeDir) => {
      const { say, ...rest } = options;
      const record = await startRootlessNetwork({ ...rest, holderPid: holder.pid, stateDir: holderNetworkDir(runtimeDir) });
      if ('unavailable' in record.outbound) say?.(`note: containers have no outbound network: ${record.outbound.unavailable}`);
    },
  };
}
