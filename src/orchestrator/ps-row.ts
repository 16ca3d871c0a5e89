/** The row `stack ps --json` prints per container: part of hafen's machine output (docs/machine-output.md). */
import type { ReadyState } from './ready-records.js';

/** One row of `ps --json`; field names are an interface and stay stable. */
export interface PsRow {
  name: string;
  service: string;
  instance: number;
  state: string;
  health: string;
  /** The state of the service's `ready:` check for this run of the container, when it has one and runs. */
  ready?: ReadyState;
  exitCode?: number;
  oomKilled: boolean;
  ports: { target: number; protocol: string; hostIp: string; hostPort: number }[];
  startedAt?: string;
  uptimeMs?: number;
  restarts: number;
  addresses: Record<string, string>;
  runtime: string;
}
