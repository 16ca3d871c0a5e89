import { describe, expect, it } from 'vitest';
import { makeStack } from '../planner/test-stack.js';
import { ManualClock } from './clock.js';
import type { Event } from './events.js';
import { executePlan } from './execute.js';
import { followLogs } from './follow-logs.js';
import { InMemoryRuntime } from './in-memory-runtime.js';
import { planUp } from '../planner/plan-up.js';

describe('followLogs', () => {
  it('turns the lines of several containers into log events, merged in time order', async () => {
    const clock = new ManualClock();
    const runtime = new InMemoryRuntime(clock);
    const stack = makeStack({ services: { db: {}, api: { replicas: 2 } } });
    runtime
      .script('db', { exitAfter: 500, logs: [{ at: 100, text: 'db up\n' }, { at: 400, text: 'db bye' }] })
      .script('api', { exitAfter: 500, logs: [{ at: 200, text: 'api up', stream: 'stderr' }] });
    await clock.run(executePlan(planUp(stack), { runtime, stack, clock }));
    const events: Event[] = [];
    const containers = [
      { service: 'db', number: 1, container: 'shop-db-1' },
      { service: 'api', number: 1, container: 'shop-api-1' },
      { service: 'api', number: 2, container: 'shop-api-2' },
    ];
    await clock.run(followLogs({ runtime, stack, containers, sink: (e) => events.push(e), clock }));
    expect(events.map((e) => (e.kind === 'log' ? `${e.time} ${e.name} ${e.stream} ${e.text}` : e.kind))).toEqual([
      '100 db stdout db up',
      '200 api-1 stderr api up',
      '200 api-2 stderr api up',
      '400 db stdout db bye',
    ]);
  });
});
