/**
 * The machine-readable lines hafen writes, as types: what `--progress json` writes on stderr and
 * `stack events --json` on stdout. Documented in docs/machine-output.md and exported from the
 * package, so tools can rely on them. Every line carries `v`, the schema version: it changes only
 * when a field changes meaning or goes away; new kinds and new fields come without a new version.
 */
import type { Event } from '../executor/events.js';
import type { ContainerEvent, ContainerEventAction } from '../runtime/runtime.js';

/** The schema version every line carries as `v`. */
export const MACHINE_OUTPUT_VERSION = 1;

/** A sentence a command would say to a person (`shop is up`, a warning of the stack file), as a line of `--progress json`. */
export interface MessageLine {
  v: typeof MACHINE_OUTPUT_VERSION;
  kind: 'message';
  /** Epoch ms. */
  time: number;
  level: 'info' | 'warning';
  text: string;
}

/** The error a command ended with, as the last line of `--progress json` (exit code as the process's). */
export interface ErrorLine {
  v: typeof MACHINE_OUTPUT_VERSION;
  kind: 'error';
  time: number;
  /** A stable code: `E_USAGE`, `E_CONFIG`, `E_READINESS`, …; `E_UNEXPECTED` for a bug. */
  code: string;
  message: string;
  exitCode: number;
}

/** One line of `--progress json`: an executor event, a message or the final error. */
export type ProgressLine = (Event & { v: typeof MACHINE_OUTPUT_VERSION }) | MessageLine | ErrorLine;

/** Every `kind` of a `--progress json` line. */
export type ProgressKind = ProgressLine['kind'];

/** Every kind, listed (a kind added to the union and not here does not compile). */
const KINDS: Record<ProgressKind, true> = {
  'plan-start': true,
  'op-start': true,
  'op-progress': true,
  'op-done': true,
  'op-failed': true,
  'op-skipped': true,
  'service-state': true,
  probe: true,
  log: true,
  'plan-done': true,
  message: true,
  error: true,
};
export const PROGRESS_KINDS = Object.keys(KINDS) as ProgressKind[];

/** One line of `stack events --json`: Compose's fields (`time`, `type`, `action`, `id`, `service`, `attributes`) and `v`. */
export interface ContainerEventLine {
  v: typeof MACHINE_OUTPUT_VERSION;
  /** ISO time. */
  time: string;
  type: 'container';
  action: ContainerEventAction;
  /** The runtime's container id. */
  id: string;
  service: string;
  /**
   * Text values, as Docker gives them: always `name` (the container's) and `image` when known;
   * `exitCode` of `die`, `signal` of `kill`, `health_status` (`starting`, `healthy`, `unhealthy`) of `health_status`.
   */
  attributes: Record<string, string>;
}

/** A runtime's container event as a line of `stack events --json`. */
export function containerEventLine(e: ContainerEvent, serviceLabel: string): ContainerEventLine {
  const attributes: Record<string, string> = { name: e.name };
  if (e.image !== undefined) attributes.image = e.image;
  if (e.exitCode !== undefined) attributes.exitCode = String(e.exitCode);
  if (e.signal !== undefined) attributes.signal = e.signal;
  if (e.health !== undefined) attributes.health_status = e.health;
  return { v: MACHINE_OUTPUT_VERSION, time: e.time, type: 'container', action: e.action, id: e.id, service: e.labels[serviceLabel] ?? '', attributes };
}
