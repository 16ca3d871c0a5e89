/** Container log lines as `log` events, for attached `up` and `logs -f`: the same sinks render them. */
import type { Stack } from '../config/model.js';
import type { ContainerRef } from '../planner/plan.js';
import type { Runtime } from '../runtime/runtime.js';
import { systemClock, type Clock } from './clock.js';
import type { EventSink } from './events.js';
import { containerSubject } from './names.js';

/** What to follow, and where the lines go. */
export interface FollowLogsOptions {
  runtime: Runtime;
  stack: Stack;
  containers: readonly ContainerRef[];
  sink: EventSink;
  clock?: Clock;
  /** Ends every stream. */
  signal?: AbortSignal;
  /** Only the last N lines of what is there already. */
  tail?: number;
  /** ISO time or epoch ms. */
  since?: string | number;
  /** Keep following new lines (default), or stop at the end of what is there. */
  follow?: boolean;
}

/** Streams every container's log as events; resolves when all streams end or the signal aborts. */
export async function followLogs(options: FollowLogsOptions): Promise<void> {
  const { runtime, stack, sink, signal } = options;
  const clock = options.clock ?? systemClock;
  const follow = async (ref: ContainerRef): Promise<void> => {
    const subject = containerSubject(stack, ref);
    const opts = {
      follow: options.follow ?? true,
      ...(signal ? { signal } : {}),
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.since !== undefined ? { since: options.since } : {}),
    };
    try {
      for await (const line of runtime.logs(ref.container, opts)) {
        // The line's own time, so a line read late (a catch-up from `since`) keeps when it was written.
        sink({ kind: 'log', time: Date.parse(line.time) || clock.now(), ...subject, stream: line.stream, text: line.text.replace(/\r?\n$/, '') });
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  };
  await Promise.all(options.containers.map(follow));
}
