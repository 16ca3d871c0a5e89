/** Waiting helpers on the injected clock: backoff, pauses that a probe can cut short, per-probe timeouts. */
import type { Millis } from '../../config/model.js';
import type { Clock } from '../clock.js';

/** The next pause: ×1.5 (whole ms), never above `max`. */
export function backoff(previous: Millis, max: Millis): Millis {
  return Math.min(Math.round(previous * 1.5), max);
}

/** A controller that aborts when `parent` does; `dispose` unhooks it. */
export function linkedController(parent: AbortSignal): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Sleeps `ms`, or less if `wake` resolves first; throws the signal's reason if it aborts. */
export async function pause(clock: Clock, ms: Millis, signal: AbortSignal, wake?: Promise<void>): Promise<void> {
  const { controller, dispose } = linkedController(signal);
  try {
    await Promise.race([clock.sleep(ms, controller.signal).catch(() => undefined), ...(wake ? [wake] : [])]);
  } finally {
    controller.abort();
    dispose();
  }
  signal.throwIfAborted();
}

/**
 * Runs `task` with its own signal, giving up after `ms` (then `onTimeout()` is the result and the
 * task's signal aborts). Throws the parent signal's reason if it aborts.
 */
export async function withTimeout<T>(
  clock: Clock,
  ms: Millis,
  signal: AbortSignal,
  task: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => T,
): Promise<T> {
  const { controller, dispose } = linkedController(signal);
  const running = task(controller.signal);
  running.catch(() => undefined);
  const timer = clock.sleep(ms, controller.signal).then(onTimeout, () => new Promise<never>(() => undefined));
  try {
    return await Promise.race([running, timer, aborted(controller.signal)]);
  } finally {
    controller.abort();
    dispose();
  }
}

/** Runs every task; the first to fail aborts the others, and its error is thrown once all have settled. */
export async function allOrNothing(signal: AbortSignal, tasks: Array<(signal: AbortSignal) => Promise<void>>): Promise<void> {
  const { controller, dispose } = linkedController(signal);
  let first: { error: unknown } | undefined;
  try {
    await Promise.all(
      tasks.map((task) =>
        task(controller.signal).catch((error: unknown) => {
          if (first) return;
          first = { error };
          controller.abort(error);
        }),
      ),
    );
  } finally {
    dispose();
  }
  if (first) throw first.error;
}

/** A promise that rejects with the signal's reason when it aborts (handled, so it may be left behind). */
function aborted(signal: AbortSignal): Promise<never> {
  const out = new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  out.catch(() => undefined);
  return out;
}
