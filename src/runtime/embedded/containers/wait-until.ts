/**
 * Waiting for something a container's folder will show (its launcher's status file appears by a
 * rename into it): woken by inotify on the folder at once, and by a slow poll for what leaves no
 * trace there (a launcher killed outright).
 */
import fs from 'node:fs';

/** Options of waitUntil. */
export interface WaitOptions {
  /** Give up after this long, resolving undefined. */
  timeoutMs?: number;
  /** Abort: rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Poll interval besides inotify (ms, default 200). */
  pollMs?: number;
  /** A long wait polls less and less often, doubling up to this (ms; default pollMs: no backoff). */
  maxPollMs?: number;
  /**
   * Only changes of these entries of `dir` wake it (default: any). A running container's folder
   * sees its hosts file rewritten whenever a peer comes or goes: waking every waiter of a hundred
   * on each of those cost a supervisor a second of CPU per `up` (issue 16).
   */
  files?: readonly string[];
}

/**
 * Resolves with the first value `check` returns (it is called at once, on every change in `dir`
 * and every `pollMs`); undefined after `timeoutMs`. A throw of `check` rejects.
 */
export function waitUntil<T>(dir: string, check: () => T | undefined, opts: WaitOptions = {}): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    let watcher: fs.FSWatcher | undefined;
    let finished = false;
    const cleanup = (): void => {
      finished = true;
      clearTimeout(poll);
      if (deadline) clearTimeout(deadline);
      watcher?.close();
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const test = (): void => {
      if (finished) return;
      try {
        const value = check();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        }
      } catch (err) {
        cleanup();
        reject(err);
      }
    };
    const onAbort = (): void => {
      cleanup();
      reject(opts.signal?.reason ?? new Error('aborted'));
    };
    let every = opts.pollMs ?? 200;
    let poll: NodeJS.Timeout | undefined;
    const tick = (): void => {
      test();
      if (finished) return;
      every = Math.min(every * 2, Math.max(opts.maxPollMs ?? every, every));
      poll = setTimeout(tick, every);
    };
    poll = setTimeout(tick, every);
    const deadline =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            cleanup();
            resolve(undefined);
          }, opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const files = opts.files;
      watcher = fs.watch(dir, files ? (_event, name) => (name === null || files.includes(String(name)) ? test() : undefined) : test);
      watcher.on('error', () => watcher?.close());
    } catch {
      // No folder to watch: polling alone.
    }
    test();
  });
}
