/**
 * What crosses the ssh channel between the CLI and the remote agent (`hafen system dial-stdio`,
 * issue 19): the supervisor's line protocol (protocol.ts: one JSON object per line, requests with
 * ids, cancels, errors with their codes), with a greeting first and stream items for the calls
 * that report as they go (pulls, builds, logs, events).
 */
import type { WireError } from '../supervisor/protocol.js';

/** The agent's first line: who answers, so the CLI can check the version before asking anything. */
export interface AgentHello {
  hello: { version: string; uid: number; node: string; platform: string };
}

/** One item of a streaming call (a log line, a build event, a pull's progress line, a container event). */
export interface AgentItem {
  id: number;
  item: unknown;
}

/** A line from the agent. */
export type AgentMessage = AgentHello | AgentItem | { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

/** A line to the agent. */
export type AgentRequest = { id: number; method: string; args: unknown[] } | { id: number; cancel: true };

/** What `open` answers: the project's runtime on the remote host is ready. */
export interface AgentOpened {
  /** Lines the remote side said while opening (why a runtime was taken, a limits note). */
  said: string[];
  /** Whether a supervisor owns the project there. */
  supervised: boolean;
}

/** A readiness probe run from the remote host, where container addresses route (tcp, or http with a path and status). */
export type { EndpointProbe as RemoteProbe } from '../runtime/runtime.js';
