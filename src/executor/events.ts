/**
 * What the executor tells the world, as one stream of typed events. Renderers (plain, json, tty, the
 * dashboard) are interchangeable sinks of it. Events are plain data (JSON-safe), so `--progress json`
 * writes them as they are; field names are part of that interface and stay stable.
 */
import type { Millis } from '../config/model.js';
import type { OperationKind, Plan } from '../planner/plan.js';

/** Where one container (or service) is on its way up or down. */
export type ServiceState =
  | 'waiting'
  | 'creating'
  | 'created'
  | 'starting'
  | 'running'
  | 'checking'
  | 'ready'
  | 'exited'
  | 'failed'
  | 'stopping'
  | 'stopped'
  | 'removing'
  | 'removed';

/** Why a node did not run (to its end). */
export type SkipReason =
  /** A node it depends on (`cause`) failed, directly or further up. */
  | 'dependency-failed'
  /** Scheduling stopped (a failure elsewhere, or an interrupt) before it could start. */
  | 'stopped'
  /** It was waiting when the run stopped, and was let go. */
  | 'cancelled';

/** An error as events carry it: its stable code and message; readiness failures say more. */
export interface ErrorInfo {
  /** `E_READINESS`, `E_RUNTIME`, …; `E_UNEXPECTED` for anything that is not a StackError (a bug). */
  code: string;
  message: string;
  service?: string;
  check?: string;
  reason?: string;
  logTail?: string[];
}

/** What every operation event says about its node. `service`/`name` are set for container and service nodes. */
export interface OpFields {
  id: number;
  operation: OperationKind;
  /** As in the plan: `container:shop-db-1`, `network:shop_default`, `service:db`. */
  resource: string;
  detail?: string;
  service?: string;
  /** Display name of the container or service: `db`, or `api-1` for a service with replicas. */
  name?: string;
}

/** Which container (or service) a state, probe or log line is about. */
export interface Subject {
  service: string;
  /** `db`, or `api-2` for a service with replicas. */
  name: string;
  /** Runtime name, e.g. `shop-api-2`. */
  container?: string;
}

/** One thing that happened. `time` is the executor clock's reading (epoch ms on a real clock). */
export type Event =
  | {
      kind: 'plan-start';
      time: number;
      project: string;
      action: Plan['action'];
      nodes: number;
      /** Display names of the containers the plan touches, in plan order: renderers lay out rows by them. */
      names: string[];
    }
  | ({ kind: 'op-start'; time: number } & OpFields)
  /** A line of progress of a running operation (a build step, a pull). */
  | ({ kind: 'op-progress'; time: number; text: string } & OpFields)
  | ({ kind: 'op-done'; time: number; ms: Millis } & OpFields)
  | ({ kind: 'op-failed'; time: number; ms: Millis; error: ErrorInfo } & OpFields)
  | ({ kind: 'op-skipped'; time: number; reason: SkipReason; cause?: number } & OpFields)
  | ({ kind: 'service-state'; time: number; state: ServiceState; detail?: string; exitCode?: number } & Subject)
  | ({
      kind: 'probe';
      time: number;
      /** `healthcheck`, `tcp 5432`, `http :8080/health`, `log /ready/`, `exec pg_isready`. */
      check: string;
      ok: boolean;
      detail: string;
      /** 1-based, per container and check. */
      attempt: number;
    } & Subject)
  | ({ kind: 'log'; time: number; stream: 'stdout' | 'stderr'; text: string } & Subject)
  | { kind: 'plan-done'; time: number; ok: boolean; ms: Millis; error?: ErrorInfo };

/** Every event kind. A `switch` over it ends in a `never` check. */
export type EventKind = Event['kind'];

/** An event of one kind. */
export type EventOf<K extends EventKind> = Extract<Event, { kind: K }>;

/** An event before the executor stamps its time. */
export type EventInput = WithoutTime<Event>;
type WithoutTime<E> = E extends unknown ? Omit<E, 'time'> : never;

/** Where events go: a renderer, a collector in a test, a fan-out to several. */
export type EventSink = (event: Event) => void;

/** One sink that passes every event to each of `sinks`, in order. */
export function fanOut(...sinks: EventSink[]): EventSink {
  return (event) => {
    for (const sink of sinks) sink(event);
  };
}
