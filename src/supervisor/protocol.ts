/**
 * The supervisor's control protocol: one JSON object per line over the project's unix socket.
 * A request names a runtime method (or a supervisor one) and its arguments; the answer carries the
 * same id. A request can be cancelled (a `waitContainer` the caller no longer wants). Errors keep
 * their code and message, so the CLI reports a remote failure exactly as a local one.
 */
import { StackError, type StackErrorCode } from '../errors.js';
import type { ContainerEvent } from '../runtime/runtime.js';

/** Runtime methods the supervisor serves (those that change or read container state). */
export const RUNTIME_METHODS = [
  'hasImage',
  'listImages',
  'createNetwork',
  'removeNetwork',
  'listNetworks',
  'createVolume',
  'removeVolume',
  'listVolumes',
  'createContainer',
  'startContainer',
  'stopContainer',
  'killContainer',
  'removeContainer',
  'inspectContainer',
  'listContainers',
  'waitContainer',
  'exec',
  'stats',
  // Pause, processes and copies (`stack pause|unpause|top|cp`); a copy's host paths are absolute.
  'pauseContainer',
  'unpauseContainer',
  'top',
  'copyFromContainer',
  'copyToContainer',
  // Attached one-off runs (`stack run`): start with the stdio of the CLI's attach helper at a socket path.
  'startWithAttach',
  // Snapshots and resets (issue 20): the supervisor holds the containers' locks while it captures or resets.
  'snapshot',
  'listSnapshots',
  'removeSnapshot',
  'resetToSnapshot',
] as const;
export type RuntimeMethod = (typeof RUNTIME_METHODS)[number];

/** Methods of the supervisor itself. */
export type SupervisorMethod = 'ping' | 'shutdown' | typeof EVENTS_METHOD;

export type Method = RuntimeMethod | SupervisorMethod;

export type Request = { id: number; method: Method; args: unknown[] } | { id: number; cancel: true };

export interface WireError {
  code: string;
  message: string;
  exitCode: number;
}

export type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError } | StreamItem;

// Container events (issue 14): `events` (args: labels, since) answers with one StreamItem per event
// under the request's id, until the request is cancelled; then with `ok` as any request.
/** The method that streams container events. */
export const EVENTS_METHOD = 'events';
/** One event of a streaming request. */
export interface StreamItem {
  id: number;
  event: ContainerEvent;
}

/** What `ping` answers. */
export interface SupervisorStatus {
  pid: number;
  project: string;
  startedAt: string;
  /** Restarts done by the restart policy since this supervisor started, by container. */
  restarts: Record<string, number>;
  /** hafen's version that runs it (absent: older than idle exit); the CLI asks an idle one of another version to go. */
  version?: string;
}

/** An error as it crosses the socket. */
export function toWire(err: unknown): WireError {
  if (err instanceof StackError) return { code: err.code, message: err.message, exitCode: err.exitCode };
  return { code: 'E_UNEXPECTED', message: err instanceof Error ? err.message : String(err), exitCode: 1 };
}

/** A remote error as a StackError with the same code, message and exit code. */
export function fromWire(e: WireError): StackError {
  return new StackError(e.code as StackErrorCode, e.message, e.exitCode as never);
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk.toString('utf8');
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
    }
  };
}
