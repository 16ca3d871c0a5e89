/**
 * The request/response loop of hafen's JSON-line protocols, shared by the supervisor's socket
 * (server.ts) and the remote agent's stdio (remote/agent.ts), and the reading side of their clients
 * (remote/agent-connection.ts): one JSON object per line; a request `{id, method, args}` is answered
 * with `{id, ok, result}` or `{id, ok: false, error}` after any number of streamed items
 * (`{id, <itemKey>: …}`), and `{id, cancel: true}` aborts the request `id`.
 */
import { lineSplitter, toWire } from './protocol.js';

/** A request as it arrives. */
export type LineRequest = { id: number; method: string; args?: unknown[] } | { id: number; cancel: true };

/** A data listener parsing each line as JSON; a line that is not JSON goes to `onBadLine` (default: ignored). */
export function jsonLines<T>(onMessage: (message: T) => void, onBadLine?: (line: string) => void): (chunk: Buffer) => void {
  return lineSplitter((line) => {
    let message: T;
    try {
      message = JSON.parse(line) as T;
    } catch {
      onBadLine?.(line);
      return;
    }
    onMessage(message);
  });
}

/** How one stream of requests is served. */
export interface LineServerOptions<R extends LineRequest> {
  /** Runs a request: `push` streams an item to the caller; `signal` is aborted by a cancel or by abortAll. */
  handle(request: Extract<R, { method: string }>, signal: AbortSignal, push: (item: unknown) => void): Promise<unknown>;
  /** Writes one message to the caller. */
  send(message: object): void;
  /** The key streamed items go under (`event` for the supervisor, `item` for the agent). */
  itemKey: string;
  /** A line that is not JSON (the supervisor drops the connection; the agent ignores it). */
  onBadLine?(line: string): void;
}

/** A served stream: feed it the input's data; abortAll when the input ends. */
export interface LineServer {
  onData(chunk: Buffer): void;
  /** Aborts every request still running. */
  abortAll(): void;
}

/** Serves the requests read from one input, each answered with its result or its error (codes kept: toWire). */
export function serveLineRequests<R extends LineRequest>(options: LineServerOptions<R>): LineServer {
  const pending = new Map<number, AbortController>();
  const onData = jsonLines<R>((request) => {
    if ('cancel' in request) return void pending.get(request.id)?.abort();
    const { id } = request;
    const ac = new AbortController();
    pending.set(id, ac);
    options
      .handle(request as Extract<R, { method: string }>, ac.signal, (item) => options.send({ id, [options.itemKey]: item }))
      .then(
        (result) => options.send({ id, ok: true, result: result ?? null }),
        (err: unknown) => options.send({ id, ok: false, error: toWire(err) }),
      )
      .finally(() => pending.delete(id));
  }, options.onBadLine);
  return {
    onData,
    abortAll: () => {
      for (const ac of pending.values()) ac.abort();
    },
  };
}
