/**
 * The messages of the rootless network keeper: between the keeper and its relay (Node's IPC
 * channel, which carries socket handles), and between a client (the CLI or a supervisor) and the
 * keeper (JSON lines on the keeper's unix socket, ports.sock in its state folder).
 */
import type { PublishedPort } from '../ports/proxy-set.js';
import type { ProxySpec } from '../ports/proxy-spec.js';

/** Keeper → relay; `open-*` messages come with the bound socket as their handle. */
export type RelayRequest =
  | { op: 'open-tcp' | 'open-udp'; id: number; targetIp: string; targetPort: number; udpIdleMs?: number }
  | { op: 'close'; id: number };

/** Relay → keeper. */
export type RelayReply = { op: 'ready' } | { op: 'done'; id: number } | { op: 'failed'; id: number; message: string };

/** A published port of a project, as the keeper holds it. */
export interface KeeperPort extends PublishedPort {
  project: string;
}

/** A port to publish: root's ProxySpec plus the project it belongs to. */
export interface PortRequest extends ProxySpec {
  project: string;
}

/** Client → keeper, one JSON object a line. */
export type KeeperRequest =
  | { op: 'add'; ports: PortRequest[] }
  | { op: 'remove'; project: string; container?: string }
  | { op: 'list'; project?: string }
  | { op: 'status' };

/** Why a request failed; `reason` is the system's code when a host port could not be bound. */
export interface KeeperFailure {
  message: string;
  reason?: string;
  /** The request that failed, for a PublishError on the client's side. */
  port?: PortRequest;
}

/** Keeper → client, one line per request, in order. */
export type KeeperReply = { ok: true; ports?: KeeperPort[]; removed?: number; status?: unknown } | { ok: false; error: KeeperFailure };
