/** Errors from the engine, as hafen says them: the resource named, Docker's own reason kept. */
import { RuntimeError } from '../../errors.js';

interface EngineError {
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

/** The HTTP status of an engine error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  return (err as EngineError | undefined)?.statusCode;
}

/** True when the engine said 404 (no such container, network, volume, image). */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** Docker's own words for an error (the daemon's message, not dockerode's wrapper). */
export function engineMessage(err: unknown): string {
  const e = err as EngineError;
  const text = e?.json?.message ?? e?.message ?? String(err);
  return text.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

/** A RuntimeError for `resource` saying `what` failed, with the engine's reason. */
export function runtimeError(resource: string, what: string, err: unknown): RuntimeError {
  return new RuntimeError(resource, `${what}: ${engineMessage(err)}`, { cause: err });
}

/** Runs `fn`, turning an engine error into a RuntimeError naming `resource`. */
export async function naming<T>(resource: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw runtimeError(resource, what, err);
  }
}
