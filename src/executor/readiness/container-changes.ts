/**
 * What wakes a readiness wait early: the runtime's events of the containers it waits on (a health
 * change, an exit, a restart). A wait that only polled would see a container turn healthy up to one
 * poll interval late; following the events, it looks again the moment something changed. Polling
 * stays underneath, so a runtime whose events lag or fail is only slower, never wrong.
 */
import type { ContainerEventAction, Runtime } from '../../runtime/runtime.js';

/** The events that can change what a probe sees: the health the runtime reports, an end. */
const TELLING: ReadonlySet<ContainerEventAction> = new Set(['health_status', 'die', 'oom', 'destroy']);

/** Counts the events of each container, and wakes whoever waits for the next one. */
export class ContainerChanges {
  private readonly counts = new Map<string, number>();
  private readonly waiters = new Map<string, Array<() => void>>();

  /** How many events of `container` were seen so far: pass it to `after` to wait for a newer one. */
  version(container: string): number {
    return this.counts.get(container) ?? 0;
  }

  /** Resolves once `container` had an event after `version` (at once when it had one already). */
  after(container: string, version: number): Promise<void> {
    if (this.version(container) > version) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(container, [...(this.waiters.get(container) ?? []), resolve]));
  }

  /** Notes an event of `container`. */
  saw(container: string): void {
    this.counts.set(container, this.version(container) + 1);
    const waiting = this.waiters.get(container);
    this.waiters.delete(container);
    for (const wake of waiting ?? []) wake();
  }

  /** Wakes every waiter (the wait is over). */
  releaseAll(): void {
    for (const container of [...this.waiters.keys()]) this.saw(container);
  }
}

/**
 * Follows the runtime's events of the containers carrying `labels` from `since` (epoch ms, so an
 * event between the start of the wait and the subscription is not lost) until `signal` aborts.
 * A runtime that cannot follow events leaves the wait to its polling.
 */
export function followChanges(runtime: Runtime, labels: Record<string, string>, since: number, signal: AbortSignal): ContainerChanges {
  const changes = new ContainerChanges();
  void (async () => {
    try {
      for await (const event of runtime.events(labels, { signal, since })) if (TELLING.has(event.action)) changes.saw(event.name);
    } catch {
      // Polling alone is still right.
    } finally {
      changes.releaseAll();
    }
  })();
  return changes;
}
