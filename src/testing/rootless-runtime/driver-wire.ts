/**
 * The line protocol between a test process (root) and the rootless runtime driver (driver-main.ts,
 * a process of the rootless test user inside its user namespace): one JSON object per line on the
 * driver's stdin and stdout. A call names a method of the driver's EmbeddedRuntime (or one of the
 * driver's own, DriverMethod) with its arguments; callbacks and abort signals in the arguments
 * travel as markers (the driver calls back with `callback` lines, the client cancels with `cancel`);
 * an async iterable's items come back as `item` lines before the final answer.
 */
import type { WireError } from '../../supervisor/protocol.js';

/** Methods of the driver beside the runtime's. */
export type DriverMethod = 'importBusybox' | 'cleanupProject';

/** A function argument: called back as `{ id, callback: index, value }`. */
export interface CallbackMarker {
  $callback: number;
}
/** An AbortSignal argument: aborted when the client sends `{ id, cancel: true }`. */
export interface SignalMarker {
  $signal: true;
}

export type DriverRequest = { id: number; method: string; args: unknown[] } | { id: number; cancel: true };

export type DriverResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WireError }
  | { id: number; item: unknown }
  | { id: number; callback: number; value: unknown };

/** Whether `v` is a plain object (a JSON object, not a class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Replaces functions and AbortSignals in `args` (at any depth of plain objects and arrays) by markers;
 * `onFunction` and `onSignal` get what was replaced.
 */
export function encodeArgs(args: unknown[], onFunction: (fn: (v: unknown) => void) => number, onSignal: (s: AbortSignal) => void): unknown[] {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'function') return { $callback: onFunction(v as (value: unknown) => void) } satisfies CallbackMarker;
    if (v instanceof AbortSignal) {
      onSignal(v);
      return { $signal: true } satisfies SignalMarker;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return args.map(walk);
}

/** The driver's side of encodeArgs: markers become functions calling back, and the request's signal. */
export function decodeArgs(args: unknown[], callback: (index: number, value: unknown) => void, signal: AbortSignal): unknown[] {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isPlainObject(v)) return v;
    if (typeof v.$callback === 'number') {
      const index = v.$callback;
      return (value: unknown) => callback(index, value);
    }
    if (v.$signal === true) return signal;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return args.map(walk);
}
