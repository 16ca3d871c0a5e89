/**
 * How an update's end is read from UpdateStatus, against a scripted swarm (the states and
 * messages are Swarm's own, as dockerd 20.10 reports them); e2e/swarm-update.test.ts runs the same
 * calls against a real two-node swarm.
 */
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../errors.js';
import { ManualClock } from '../../executor/clock.js';
import { restartService, rollbackService, scaleService, updateService, type InspectedService, type SwarmServiceApi, type SwarmTask } from './update-service.js';

const OLD: Docker.UpdateStatus = { State: 'completed', StartedAt: '2026-01-01T00:00:00Z', CompletedAt: '2026-01-01T00:00:09Z', Message: 'update completed' };

/** A swarm that, after an update, reports `script` one status per inspect (the last one repeats). */
function fakeSwarm(initial: Docker.UpdateStatus[], tasks: SwarmTask[][] = [], history: SwarmTask[] = []) {
  let script = initial;
  const calls: { version: number; spec: Docker.ServiceSpec; rollback: boolean }[] = [];
  let service: InspectedService = {
    ID: 'svc1',
    Version: { Index: 7 },
    Spec: { Name: 'shop_api', Mode: { Replicated: { Replicas: 1 } }, TaskTemplate: { ContainerSpec: { Image: 'api:1' }, ForceUpdate: 2 } as Docker.ContainerTaskSpec },
    UpdateStatus: OLD,
  };
  let pending: Docker.UpdateStatus[] = [];
  const api: SwarmServiceApi = {
    async inspect() {
      if (pending.length > 1) service = { ...service, UpdateStatus: pending.shift()! };
      else if (pending.length === 1) service = { ...service, UpdateStatus: pending[0]! };
      return structuredClone(service);
    },
    async update(_id, version, spec, rollback = false) {
      calls.push({ version, spec, rollback });
      service = { ...service, Version: { Index: version + 1 }, PreviousSpec: service.Spec, Spec: rollback ? service.PreviousSpec! : spec };
      pending = [...script];
    },
    async runningTasks() {
      return tasks.length > 1 ? tasks.shift()! : (tasks[0] ?? []);
    },
    async allTasks() {
      return history;
    },
  };
  return { api, calls, nextScript: (s: Docker.UpdateStatus[]) => (script = s) };
}

const image = (tag: string) => (spec: Docker.ServiceSpec): Docker.ServiceSpec => ({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { Image: tag } } as Docker.ContainerTaskSpec });
const running = (n: number): SwarmTask[] => Array.from({ length: n }, (_, i) => ({ ID: `t${i}`, Status: { State: 'running' } }));
const START = '2026-01-01T00:01:00Z';

describe('updateService', () => {
  it('sends the new spec at the current version, keeps ForceUpdate, and follows the status to completed', async () => {
    const clock = new ManualClock();
    const { api, calls } = fakeSwarm([
      { State: 'updating', StartedAt: START, Message: 'update in progress' },
      { State: 'updating', StartedAt: START, Message: 'update in progress' },
      { State: 'completed', StartedAt: START, CompletedAt: '2026-01-01T00:01:30Z', Message: 'update completed' },
    ]);
    const seen: string[] = [];
    const outcome = await clock.run(updateService(api, 'svc1', image('api:2'), { clock, onStatus: (s) => seen.push(s.State!) }));
    expect(outcome).toEqual({ state: 'completed' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.version).toBe(7);
    expect((calls[0]!.spec.TaskTemplate as Docker.ContainerTaskSpec).ForceUpdate).toBe(2);
    expect(seen).toEqual(['updating', 'completed']);
  });

  it('reports a rollback with the reason Swarm gave when it started it', async () => {
    const clock = new ManualClock();
    const reason = 'update rolled back due to failure or early termination of task 4d2x';
    const { api } = fakeSwarm([
      OLD,
      { State: 'updating', StartedAt: START },
      { State: 'rollback_started', StartedAt: START, Message: reason },
      { State: 'rollback_completed', StartedAt: START, CompletedAt: '2026-01-01T00:02:00Z', Message: 'rollback completed' },
    ]);
    expect(await clock.run(updateService(api, 'svc1', image('api:bad'), { clock }))).toEqual({ state: 'rolled-back', message: reason });
  });

  it('adds the failed task\'s error, and finds the task when the poll missed rollback_started', async () => {
    const history: SwarmTask[] = [
      { ID: 'old1', CreatedAt: '2026-01-01T00:00:01Z', Status: { State: 'failed', Err: 'an earlier failure' } },
      { ID: '4d2x', CreatedAt: '2026-01-01T00:01:02Z', Status: { State: 'failed', Err: 'task: non-zero exit (137): dockerexec: unhealthy container', ContainerStatus: { ExitCode: 137 } } },
      { ID: 'back', CreatedAt: '2026-01-01T00:01:40Z', Status: { State: 'running' } },
    ];
    const clock = new ManualClock();
    const missed = fakeSwarm([{ State: 'updating', StartedAt: START }, { State: 'rollback_completed', StartedAt: START, CompletedAt: '2026-01-01T00:02:00Z', Message: 'rollback completed' }], [], history);
    expect(await clock.run(updateService(missed.api, 'svc1', image('api:bad'), { clock }))).toEqual({
      state: 'rolled-back',
      message: 'update rolled back due to failure or early termination of task 4d2x: failed: task: non-zero exit (137): dockerexec: unhealthy container',
    });
    const seen = fakeSwarm([OLD, { State: 'rollback_started', StartedAt: START, Message: 'update rolled back due to failure or early termination of task old1' }, { State: 'rollback_completed', StartedAt: START, Message: 'rollback completed' }], [], history);
    expect(await clock.run(updateService(seen.api, 'svc1', image('api:bad'), { clock }))).toMatchObject({ message: 'update rolled back due to failure or early termination of task old1: failed: an earlier failure' });
  });

  it('reports a paused update with its message', async () => {
    const clock = new ManualClock();
    const message = 'update paused due to failure or early termination of task 9xk';
    const { api } = fakeSwarm([{ State: 'updating', StartedAt: START }, { State: 'paused', StartedAt: START, Message: message }]);
    expect(await clock.run(updateService(api, 'svc1', image('api:bad'), { clock }))).toEqual({ state: 'paused', message });
  });

  it('sends nothing for the same spec', async () => {
    const { api, calls } = fakeSwarm([]);
    expect(await updateService(api, 'svc1', (s) => s)).toEqual({ state: 'unchanged' });
    expect(calls).toEqual([]);
  });

  it('gives up after the timeout, naming the service and where the update stands', async () => {
    const clock = new ManualClock();
    const { api } = fakeSwarm([{ State: 'updating', StartedAt: START, Message: 'update in progress' }]);
    const err = await clock.run(updateService(api, 'svc1', image('api:2'), { clock, timeoutMs: 10_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toBe('service shop_api: update not finished after 10 s (updating: update in progress)');
  });
});

describe('scale, restart and rollback', () => {
  it('scales without a rolling update and waits until that many tasks run', async () => {
    const clock = new ManualClock();
    const { api, calls } = fakeSwarm([], [running(1), [...running(1), { ID: 'new', Status: { State: 'starting' } }], running(2)]);
    expect(await clock.run(scaleService(api, 'svc1', 2, { clock }))).toEqual({ state: 'completed' });
    expect(calls[0]!.spec.Mode).toEqual({ Replicated: { Replicas: 2 } });
  });

  it('refuses to scale a global service', async () => {
    const { api } = fakeSwarm([]);
    await api.update('svc1', 7, { Name: 'shop_agent', Mode: { Global: {} }, TaskTemplate: {} });
    await expect(scaleService(api, 'svc1', 3)).rejects.toThrow('service shop_agent: is not replicated');
  });

  it('restarts by raising ForceUpdate, which rolls every task', async () => {
    const clock = new ManualClock();
    const { api, calls } = fakeSwarm([{ State: 'completed', StartedAt: START, Message: 'update completed' }]);
    expect(await clock.run(restartService(api, 'svc1', { clock }))).toEqual({ state: 'completed' });
    expect((calls[0]!.spec.TaskTemplate as Docker.ContainerTaskSpec).ForceUpdate).toBe(3);
  });

  it('rolls back to the previous spec, and refuses when there is none', async () => {
    const clock = new ManualClock();
    const { api, calls, nextScript } = fakeSwarm([{ State: 'completed', StartedAt: START, Message: 'update completed' }]);
    await expect(rollbackService(api, 'svc1')).rejects.toThrow('service shop_api: has no previous spec to roll back to');
    await clock.run(updateService(api, 'svc1', image('api:2'), { clock }));
    nextScript([{ State: 'rollback_started', StartedAt: '2026-01-01T00:05:00Z', Message: 'manually requested rollback' }, { State: 'rollback_completed', StartedAt: '2026-01-01T00:05:00Z', Message: 'rollback completed' }]);
    expect(await clock.run(rollbackService(api, 'svc1', { clock }))).toEqual({ state: 'rolled-back', message: 'manually requested rollback' });
    expect(calls.at(-1)).toMatchObject({ version: 8, rollback: true });
  });
});
