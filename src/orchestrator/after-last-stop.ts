/**
 * Work `down` can do while its plan waits (issue 16): once the plan's last stop is done, what is
 * left is the kernel taking the network away and the supervisor removing folders, and the CLI's
 * event loop is idle for tens of milliseconds. The code of the ledger cleanup that follows the
 * plan (the embedded runtime, ~150 modules of the cold bundle) is loaded then, not after the plan.
 * It is not loaded before the first stop: that delayed the first stop as much (session 10).
 */
import type { EventSink } from '../executor/events.js';
import type { Plan } from '../planner/plan.js';

/**
 * A sink passing every event to `sink` that, once the last of the plan's stops is done, runs `work`
 * after the event is handled (at most once; its failure is the later caller's to see, not this
 * one's). A plan without stops, or one whose stops fail or are skipped, never runs it.
 */
export function afterLastStop(plan: Plan, sink: EventSink, work: () => Promise<unknown>): EventSink {
  let left = plan.nodes.filter((n) => n.operation === 'stop-container').length;
  if (left === 0) return sink;
  return (event) => {
    sink(event);
    if (event.kind === 'op-done' && event.operation === 'stop-container' && --left === 0) setImmediate(() => void work().catch(() => {}));
  };
}
