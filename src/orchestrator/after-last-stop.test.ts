import { describe, expect, it } from 'vitest';
import type { Event } from '../executor/events.js';
import type { Plan } from '../planner/plan.js';
import { afterLastStop } from './after-last-stop.js';

const plan = (operations: string[]): Plan => ({ project: 'p', action: 'down', orphans: [], nodes: operations.map((operation, id) => ({ id, operation, dependsOn: [] })) }) as unknown as Plan;
const done = (id: number, operation: string): Event => ({ kind: 'op-done', time: 0, ms: 1, id, operation, resource: `x:${id}` }) as Event;
const tick = () => new Promise((r) => setImmediate(r));

describe('afterLastStop', () => {
  it('runs the work once, after the last stop is done and its event passed on', async () => {
    const seen: string[] = [];
    const sink = afterLastStop(plan(['stop-container', 'stop-container', 'remove-network']), (e) => seen.push(`${e.kind} ${'id' in e ? e.id : ''}`), async () => void seen.push('work'));
    sink(done(0, 'stop-container'));
    sink(done(2, 'remove-container'));
    await tick();
    expect(seen).toEqual(['op-done 0', 'op-done 2']);
    sink(done(1, 'stop-container'));
    expect(seen).toEqual(['op-done 0', 'op-done 2', 'op-done 1']);
    await tick();
    expect(seen).toEqual(['op-done 0', 'op-done 2', 'op-done 1', 'work']);
    sink(done(3, 'stop-container')); // more than planned: not again
    await tick();
    expect(seen.filter((s) => s === 'work')).toHaveLength(1);
  });

  it('leaves a plan without stops alone, and keeps a failing work to itself', async () => {
    const sink = (): void => {};
    expect(afterLastStop(plan(['remove-network']), sink, async () => 0)).toBe(sink);
    const failing = afterLastStop(plan(['stop-container']), sink, () => Promise.reject(new Error('no')));
    failing(done(0, 'stop-container'));
    await tick();
    await tick();
  });
});
