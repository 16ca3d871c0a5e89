/** A small scripted `up` on the in-memory runtime, for renderer tests: its events, in order. */
import { ManualClock } from '../executor/clock.js';
import type { Event } from '../executor/events.js';
import { executePlan } from '../executor/execute.js';
import { InMemoryRuntime } from '../executor/in-memory-runtime.js';
import { planUp } from '../planner/plan-up.js';
import { healthcheck, makeStack } from '../planner/test-stack.js';

/** db (healthy after 1.2s) → migrate (one-shot, exits `migrateExit` after 0.3s) → api ×2; web built, beside them. */
export async function scriptedRun(migrateExit = 0): Promise<Event[]> {
  const clock = new ManualClock(0);
  const runtime = new InMemoryRuntime(clock);
  const stack = makeStack({
    name: 'shop',
    services: {
      db: { healthcheck: healthcheck(['CMD', 'pg_isready']) },
      migrate: { depends_on: { db: 'service_healthy' } },
      api: { replicas: 2, depends_on: { migrate: 'service_completed_successfully' } },
      web: { build: { context: '/work/web', dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false } },
    },
  });
  runtime
    .script('db', { startMs: 100, healthyAfter: 1200 })
    .script('migrate', { exitAfter: 300, exitCode: migrateExit, logs: [{ at: 100, text: 'applying 001_init' }, { at: 250, text: migrateExit ? 'boom' : 'done' }] })
    .scriptImage('shop-web', { ms: 2500, buildEvents: [{ kind: 'step-start', index: 1, total: 2, text: 'FROM host', cached: true }] });
  const events: Event[] = [];
  await clock.run(executePlan(planUp(stack), { runtime, stack, clock, sink: (e) => events.push(e) })).catch(() => undefined);
  return events;
}
