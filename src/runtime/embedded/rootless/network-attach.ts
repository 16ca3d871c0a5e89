/**
 * The rootless network as the namespace holder's network hook (./holder-network.ts): registered with
 * `useHolderNetwork(rootlessHolderNetwork({ say }))`, it starts the holder's keeper
 * (./network-lifecycle.ts) in RUNTIME/network for a holder that has none running, and says in one
 * line, to each command that asks for the network, when containers have no outbound network
 * (published ports work all the same); when the holder is stopped it stops the keeper and removes
 * that folder, log and all.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HolderNetwork } from './holder-network.js';
import { keeperRunning, processesOf, startRootlessNetwork, stopRootlessNetwork, type StartNetworkOptions } from './network-lifecycle.js';
import { readNetworkRecord } from './network-record.js';

/** The keeper's folder inside the holder's runtime folder. */
export function holderNetworkDir(runtimeDir: string): string {
  return path.join(runtimeDir, 'network');
}

/** A HolderNetwork starting the keeper; `say` gets the one-line note, the rest passes to startRootlessNetwork. */
export function rootlessHolderNetwork(options: { say?: (line: string) => void } & Pick<StartNetworkOptions, 'wrap' | 'env' | 'outbound'> = {}): HolderNetwork {
  return {
    attach: async (holder, runtimeDir) => {
      const { say, ...rest } = options;
      const stateDir = holderNetworkDir(runtimeDir);
      const known = readNetworkRecord(stateDir);
      const record = known && known.holderPid === holder.pid && keeperRunning(known) ? known : await startRootlessNetwork({ ...rest, holderPid: holder.pid, stateDir });
      // Said by every command that asks for the network (as `up`'s line on limits not applied), not only the first.
      if ('unavailable' in record.outbound && rest.outbound !== false) say?.(`note: containers have no outbound network: ${record.outbound.unavailable}`);
    },
    processes: (runtimeDir) => processesOf(holderNetworkDir(runtimeDir)),
    detach: async (runtimeDir) => {
      const stateDir = holderNetworkDir(runtimeDir);
      await stopRootlessNetwork(stateDir);
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
