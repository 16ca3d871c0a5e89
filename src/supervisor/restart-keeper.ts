/**
 * Watches every container the supervisor started: when one ends, the runtime settles it at once
 * (ports, veths and cgroup released), and its restart policy decides whether it starts again.
 * A stop, kill or removal asked for by a user is never followed by a restart: it unwatches first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Label, type Runtime } from '../runtime/runtime.js';
import { nextDelay, parseRestartPolicy, shouldRestart } from '../runtime/restart-policy.js';

/** What the keeper tells its owner. */
export interface KeeperHooks {
  /** Records one more restart of `name` where it outlives this process (the container's record). */
  countRestart?(name: string): Promise<unknown>;
  /** A container is no longer watched: the supervisor may have nothing left to do. */
  released?(): void;
}

export class RestartKeeper {
  private readonly watched = new Map<string, AbortController>();
  /** Restarts done by policy since this keeper began, by container name. */
  readonly restarts = new Map<string, number>();

  constructor(
    private readonly runtime: Runtime,
    private readonly log: (line: string) => void,
    private readonly hooks: KeeperHooks = {},
  ) {}

  /** How many containers are watched: running, or waiting for a restart. */
  get size(): number {
    return this.watched.size;
  }

  /** Watches container `name` (already running, restarted `restarted` times before) under the policy its labels name. */
  watch(name: string, labels: Record<string, string>, restarted = 0): void {
    this.watched.get(name)?.abort();
    const ac = new AbortController();
    this.watched.set(name, ac);
    void this.loop(name, labels, ac.signal, restarted);
  }

  /** Stops watching `name`: what happens to it next is the caller's doing. */
  unwatch(name: string): void {
    this.watched.get(name)?.abort();
    if (this.watched.delete(name)) this.hooks.released?.();
  }

  unwatchAll(): void {
    for (const name of [...this.watched.keys()]) this.unwatch(name);
  }

  private async loop(name: string, labels: Record<string, string>, signal: AbortSignal, restarted: number): Promise<void> {
    let count = restarted;
    const policy = parseRestartPolicy(labels[Label.restart]);
    let delay = 50;
    for (;;) {
      const started = Date.now();
      let exitCode: number;
      try {
        ({ exitCode } = await this.runtime.waitContainer(name, signal));
      } catch {
        this.release(name, signal); // unwatched (then a no-op), or removed
        return;
      }
      if (signal.aborted) return;
      if (!shouldRestart(policy, exitCode, count)) {
        this.log(`container ${name} exited with ${exitCode}; restart policy ${labels[Label.restart] ?? 'no'}: not restarting`);
        this.release(name, signal);
        return;
      }
      delay = nextDelay(delay, Date.now() - started);
      this.log(`container ${name} exited with ${exitCode}; restarting in ${delay} ms (restart ${count + 1})`);
      try {
        await sleep(delay, undefined, { signal });
        await this.runtime.startContainer(name);
        count++;
        this.restarts.set(name, (this.restarts.get(name) ?? 0) + 1);
        await this.hooks.countRestart?.(name);
      } catch (err) {
        if (!signal.aborted) this.log(`restarting container ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
        this.release(name, signal);
        return;
      }
    }
  }

  /** Ends the watch of this loop (not a newer one's). */
  private release(name: string, signal: AbortSignal): void {
    if (this.watched.get(name)?.signal !== signal) return;
    this.watched.delete(name);
    this.hooks.released?.();
  }
}
