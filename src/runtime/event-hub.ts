/**
 * Where a runtime without a daemon of its own (the embedded one, its supervisor, the in-memory
 * double) collects the container events it makes and hands them to whoever follows: live, and from
 * a bounded backlog for a follower that asks for events since a moment just past (as dockerd keeps
 * its last events for `docker events --since`).
 */
import type { ContainerEvent, EventOptions } from './runtime.js';

/** How many past events a hub keeps for `since` (dockerd keeps 1024 as well). */
const BACKLOG = 1024;

/** Whether `event`'s container carries all of `labels`. */
export function eventMatches(event: ContainerEvent, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => event.labels[k] === v);
}

/** `since` as epoch ms: ISO text, epoch ms, or (unset) now. */
export function sinceMillis(since: string | number | undefined, now = Date.now()): number {
  if (since === undefined) return now;
  if (typeof since === 'number') return since;
  const ms = Date.parse(since);
  return Number.isNaN(ms) ? now : ms;
}

/** A fan-out of container events with a backlog. */
export class ContainerEventHub {
  private readonly listeners = new Set<(event: ContainerEvent) => void>();
  private readonly backlog: ContainerEvent[] = [];

  /** Tells every follower; a listener that throws does not stop the others. */
  emit(event: ContainerEvent): void {
    this.backlog.push(event);
    if (this.backlog.length > BACKLOG) this.backlog.shift();
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A follower's failure is its own.
      }
    }
  }

  /** Takes past events (oldest first) into the backlog without telling anyone: a new supervisor's inheritance. */
  remember(events: readonly ContainerEvent[]): void {
    this.backlog.unshift(...events);
    if (this.backlog.length > BACKLOG) this.backlog.splice(0, this.backlog.length - BACKLOG);
  }

  /** Calls `listener` with every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events matching `labels`: the backlog's from `since`, then live ones until the signal aborts. */
  async *follow(labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
    const from = sinceMillis(opts.since);
    const queue: ContainerEvent[] = this.backlog.filter((e) => Date.parse(e.time) >= from && eventMatches(e, labels));
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe((e) => {
      if (!eventMatches(e, labels)) return;
      queue.push(e);
      wake?.();
    });
    const onAbort = (): void => wake?.();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!opts.signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      unsubscribe();
      opts.signal.removeEventListener('abort', onAbort);
    }
  }
}
