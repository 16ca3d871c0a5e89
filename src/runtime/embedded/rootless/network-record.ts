/**
 * Where a holder's network keeper keeps its files, and the record it writes once it is ready:
 * STATE/network.json, beside its control socket (ports.sock), slirp4netns's API socket and its log.
 * STATE is the folder the caller gives (the holder's, under $XDG_RUNTIME_DIR). Cleanup finds the
 * keeper, the relay and slirp4netns by this record; each pid is checked against its start time (or,
 * for the children, against their parent being the keeper) before anything is signalled.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Outbound } from './network-outbound.js';

/** The files of one holder's network keeper. */
export interface NetworkFiles {
  record: string;
  controlSocket: string;
  log: string;
}

/** The files of a keeper whose state folder is `stateDir`. */
export function networkFiles(stateDir: string): NetworkFiles {
  return {
    record: path.join(stateDir, 'network.json'),
    controlSocket: path.join(stateDir, 'ports.sock'),
    log: path.join(stateDir, 'network.log'),
  };
}

/** What a running keeper wrote. */
export interface RootlessNetworkRecord {
  version: 1;
  holderPid: number;
  /** /proc/PID/stat field 22 of the holder: the keeper exits when this process is gone. */
  holderStartTime: string;
  keeperPid: number;
  keeperStartTime: string;
  /** The relay in the holder's namespaces (a child of the keeper). */
  relayPid: number;
  stateDir: string;
  /** Where clients ask for published ports (RootlessPortSet). */
  controlSocket: string;
  /** slirp4netns as started, or why containers have no outbound network. */
  outbound: Outbound | { unavailable: string };
}

/** Writes the record (atomically: a reader never sees half of it). */
export function writeNetworkRecord(record: RootlessNetworkRecord): void {
  const file = networkFiles(record.stateDir).record;
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** The record in `stateDir`, or undefined when there is none (or it cannot be read as one). */
export function readNetworkRecord(stateDir: string): RootlessNetworkRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(networkFiles(stateDir).record, 'utf8')) as RootlessNetworkRecord;
    return r.version === 1 ? r : undefined;
  } catch {
    return undefined;
  }
}
