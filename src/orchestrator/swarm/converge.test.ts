import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../executor/clock.js';
import { waitConverged } from './converge.js';

/** A clock whose sleeps pass at once, moving its time on; it keeps what was slept. */
function steppingClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
}

/** A manager whose service's one task turns running at `runningAt` (clock time), on node `n2` that joins then. */
function manager(clock: Clock, runningAt: number) {
  const calls = { nodes: 0 };
  const docker = {
    listNodes: async () => (calls.nodes++, [{ ID: 'n1', Description: { Hostname: 'nodea' } }, ...(clock.now() >= runningAt ? [{ ID: 'n2', Description: { Hostname: 'nodeb' } }] : [])]),
    listServices: async () => [{ Spec: { Mode: { Replicated: { Replicas: 1 } } }, ServiceStatus: { DesiredTasks: 1 } }],
    listTasks: async () => [{ ID: 't1', Slot: 1, NodeID: clock.now() >= runningAt ? 'n2' : undefined, DesiredState: 'running', CreatedAt: '2026-12-06T15:00:00Z', Status: { State: clock.now() >= runningAt ? 'running' : 'pending' } }],
  } as unknown as Docker;
  return { docker, calls };
}

const target = { service: 'api', swarmName: 'p_api', id: 's1', goal: 'running' as const, since: '' };

describe('waitConverged', () => {
  it('looks often in the first seconds, then at the slow pace', async () => {
    const clock = steppingClock();
    const { docker } = manager(clock, 12_000);
    await waitConverged(target, { docker, clock, timeout: 60_000, pollMs: 500, fastPollMs: 100, fastForMs: 1_000, stuckMs: 5_000 });
    expect(clock.slept.slice(0, 10)).toEqual(Array(10).fill(100));
    expect(clock.slept.slice(10).every((ms) => ms === 500)).toBe(true);
    expect(clock.now()).toBe(12_000);
  });

  it('names the nodes once, and afresh when a task lands on a node it did not know', async () => {
    const clock = steppingClock();
    const { docker, calls } = manager(clock, 300);
    const seen: number[] = [];
    await waitConverged(target, { docker, clock, timeout: 60_000, pollMs: 500, fastPollMs: 100, stuckMs: 5_000, onProgress: (done) => seen.push(done) });
    expect(clock.now()).toBe(300);
    expect(calls.nodes).toBe(2);
    expect(seen).toEqual([0, 1]);
  });

  it('without a fast pace, every look waits pollMs', async () => {
    const clock = steppingClock();
    const { docker } = manager(clock, 1_000);
    await waitConverged(target, { docker, clock, timeout: 60_000, pollMs: 500, stuckMs: 5_000 });
    expect(clock.slept).toEqual([500, 500]);
  });
});
