import { describe, expect, it } from 'vitest';
import { Label } from '../runtime/runtime.js';
import type { TaskView } from '../runtime/swarm/swarm-tasks.js';
import { taskAsContainer } from './swarm-source.js';

const task = (over: Partial<TaskView>): TaskView => ({ id: 't1', name: 'web.2', node: 'nodeb', state: 'running', desired: 'running', message: 'started', containerId: 'c0ffee', createdAt: '2026-12-06T15:00:00Z', updatedAt: '2026-12-06T15:00:03Z', ...over });

describe('taskAsContainer', () => {
  it('makes a running task a row: its slot the instance, its node the host, healthy when checked', () => {
    expect(taskAsContainer('shop', 'web', 'busybox:1', task({}), true)).toEqual({
      id: 'c0ffee',
      name: 'web.2',
      image: 'busybox:1',
      labels: { [Label.project]: 'shop', [Label.service]: 'web', [Label.instance]: '2' },
      state: 'running',
      health: 'healthy',
      oomKilled: false,
      createdAt: '2026-12-06T15:00:00Z',
      startedAt: '2026-12-06T15:00:03Z',
      ports: [],
      addresses: {},
      host: 'nodeb',
    });
  });

  it('reads a task on its way as created, an ended one as exited with its code, no health without a check', () => {
    expect(taskAsContainer('shop', 'web', 'i', task({ state: 'preparing', containerId: undefined }), false)).toMatchObject({ id: 't1', state: 'created', health: 'none' });
    const ended = taskAsContainer('shop', 'seed', 'i', task({ name: 'seed.1', state: 'complete', exitCode: 0 }), false);
    expect(ended).toMatchObject({ state: 'exited', exitCode: 0, labels: { [Label.instance]: '1' } });
    expect(ended.startedAt).toBeUndefined();
  });
});
