/**
 * Watches every container the supervisor started: when one ends, the runtime settles it at once
 * (ports, veths and cgroup released), and its restart policy decides whether it starts again.
 * A stop, kill or removal asked for by a user is never followed by a restart: it unwatches first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Label, type Runtime } from '../runtime/runtime.js';
import { nextDelay, parseRestartPolicy, shouldRestart } from '../runtime/restart-policy.js';

export class RestartKeeper {
  private readonly watched = new Map<string, AbortController>();
  /** Restarts done by policy, by container name. */
  readonly restarts = new Map<string, number>();

  constructor(
    private readonly runtime: Runtime,
    private readonly log: (line: string) => void,
  ) {}

  /** Watches container `name` (already running) under the policy its labels name. */
  watch(name: string, labels: Record<string, string>): void {
    this.unwatch(name);
    const ac = new AbortController();
    this.watched.set(name, ac);
    void this.loop(name, labels, ac.signal);
  }

  /** Stops watching `name`: what happens to it next is the caller's doing. */
  unwatch(name: string): void {
    this.watched.get(name)?.abort();
    this.watched.delete(name);
  }

  unwatchAll(): void {
    for (const name of [...this.watched.keys()]) this.unwatch(name);
  }

  private async loop(name: string, labels: Record<string, string>, signal: AbortSignal): Promise<void> {
    const policy = parseRestartPolicy(labels[Label.restart]);
    let delay = 50;
    for (;;) {
      const started = Date.now();
      let exitCode: number;
      try {
        ({ exitCode } = await this.runtime.waitContainer(name, signal));
      } catch {
        return; // unwatched, or removed
      }
      if (signal.aborted) return;
      const count = this.restarts.get(name) ?? 0;
      if (!shouldRestart(policy, exitCode, count)) {
        this.log(`container ${name} exited with ${exitCode}; restart policy ${labels[Label.restart] ?? 'no'}: not restarting`);
        this.watched.delete(name);
        return;
      }
      delay = nextDelay(delay, Date.now() - started);
      this.log(`container ${name} exited with ${exitCode}; restarting in ${delay} ms (restart ${count + 1})`);
      try {
        await sleep(delay, undefined, { signal });
        await this.runtime.startContainer(name);
        this.restarts.set(name, count + 1);
      } catch (err) {
        if (!signal.aborted) this.log(`restarting container ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
        this.watched.delete(name);
        return;
      }
    }
  }
}
