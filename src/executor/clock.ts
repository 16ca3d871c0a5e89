/**
 * Time, injected wherever code waits, so readiness tests run in milliseconds: the executor, the
 * readiness checks and the in-memory runtime all sleep on a `Clock`.
 */

/** Reads the time and sleeps. A sleep rejects with `signal.reason` when the signal aborts. */
export interface Clock {
  /** Milliseconds; epoch time on the system clock. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The machine's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface Sleeper {
  due: number;
  seq: number;
  resolve(): void;
}

/** Lets every pending promise callback run (one macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock for tests that moves only when told. `advance(ms)` wakes sleepers one by one in the order
 * they are due, setting the time to each one's due time and letting the code it wakes run (and
 * sleep again) before the next; `run(promise)` advances until the promise settles.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (ms <= 0) return resolve();
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason);
      };
      const sleeper: Sleeper = {
        due: this.time + ms,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.sleepers.sort((a, b) => a.due - b.due || a.seq - b.seq);
    });
  }

  /** How many sleeps are pending. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** When the next sleeper is due, if any. */
  nextDue(): number | undefined {
    return this.sleepers[0]?.due;
  }

  /** Moves time forward by `ms`, waking every sleeper due by then, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.sleepers[0];
      if (!next || next.due > target) break;
      this.sleepers.shift();
      this.time = Math.max(this.time, next.due);
      next.resolve();
      await flushMicrotasks();
    }
    this.time = target;
    await flushMicrotasks();
  }

  /**
   * Advances time sleeper by sleeper until `promise` settles, and returns (or throws) its outcome.
   * Throws if nothing is left to wake while it is still pending, or past `limit` ms.
   */
  async run<T>(promise: Promise<T>, limit = 24 * 3600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    const end = this.time + limit;
    for (;;) {
      for (let i = 0; i < 5 && !settled; i++) await flushMicrotasks();
      if (settled) return watched;
      const due = this.nextDue();
      if (due === undefined) throw new Error(`ManualClock.run: still pending at ${this.time} ms with no sleeper left`);
      if (due > end) throw new Error(`ManualClock.run: still pending after ${limit} ms`);
      await this.advance(due - this.time);
    }
  }
}
