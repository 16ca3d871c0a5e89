import { describe, expect, it } from 'vitest';
import { judgeTasks, taskFailure, type TaskView } from './swarm-tasks.js';

const task = (over: Partial<TaskView>): TaskView => ({ id: 't', name: 'api.1', node: 'nodea', state: 'running', desired: 'running', message: '', createdAt: '', updatedAt: '', ...over });

describe('judgeTasks', () => {
  it('converges when as many tasks as desired run', () => {
    expect(judgeTasks([task({}), task({ name: 'api.2', node: 'nodeb' })], 2, 'running').kind).toBe('converged');
    expect(judgeTasks([task({}), task({ name: 'api.2', state: 'starting' })], 2, 'running')).toEqual({ kind: 'waiting', done: 1, desired: 2 });
  });
  it('a task that is running but to be shut down does not count', () => {
    expect(judgeTasks([task({ desired: 'shutdown' })], 1, 'running').kind).toBe('waiting');
  });
  it('is stuck while a task waits for a node that does not exist', () => {
    const v = judgeTasks([task({ node: '(no node)', state: 'pending', error: 'no suitable node (scheduling constraints not satisfied on 2 nodes)' })], 1, 'running');
    expect(v).toEqual({ kind: 'stuck', why: 'api.1: no suitable node (scheduling constraints not satisfied on 2 nodes)', done: 0, desired: 1 });
  });
  it('fails at a rejected or failed task, naming node and error', () => {
    const rejected = judgeTasks([task({ state: 'rejected', desired: 'shutdown', node: 'nodeb', error: 'No such image: x:1' })], 1, 'running');
    expect(rejected.kind === 'failed' && rejected.why).toBe('api.1 on nodeb: rejected: No such image: x:1');
    const exited = judgeTasks([task({ state: 'failed', exitCode: 3, error: 'task: non-zero exit (3)' })], 1, 'running');
    expect(exited.kind === 'failed' && exited.why).toBe('api.1 on nodea: failed: exited with code 3: task: non-zero exit (3)');
  });
  it('a one-shot converges when its tasks complete with 0; a long-running service that completes has failed', () => {
    expect(judgeTasks([task({ state: 'complete', exitCode: 0 })], 1, 'completed').kind).toBe('converged');
    expect(judgeTasks([task({ state: 'complete', exitCode: 0 })], 1, 'running').kind).toBe('failed');
    expect(taskFailure(task({ state: 'complete', exitCode: 0 }))).toMatch(/^api\.1 on nodea: exited with code 0/);
  });
});
