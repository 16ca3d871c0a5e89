import { describe, expect, it } from 'vitest';
import { createController, type StackActions } from './controller.js';
import { createStore } from './store.js';
import { stateWith } from './testing.js';

const actions = (over: Partial<StackActions> = {}): StackActions => ({
  restart: async (s) => `restarted ${s}`,
  stop: async (s) => `stopped ${s}`,
  start: async (s) => `started ${s}`,
  rebuild: async (s) => `rebuilt ${s}`,
  down: async () => 'shop is down',
  ...over,
});

describe('the controller', () => {
  it('shows an action under way, then how it ended', async () => {
    const store = createStore(stateWith([]), { batchMs: 0 });
    let release!: () => void;
    const run = createController(store, actions({ restart: () => new Promise((r) => (release = () => r('restarted db'))) }), () => {}, () => 0);
    const done = run({ kind: 'restart', service: 'db' });
    expect(store.getState().busy).toBe('restarting db…');
    await run({ kind: 'rebuild', service: 'db' });
    expect(store.getState().status).toEqual({ text: 'wait: restarting db… is under way', tone: 'error' });
    release();
    await done;
    expect(store.getState().busy).toBeUndefined();
    expect(store.getState().status).toEqual({ text: 'restarted db (0ms)', tone: 'ok' });
  });

  it('puts an error in the status line instead of throwing', async () => {
    const store = createStore(stateWith([]), { batchMs: 0 });
    const run = createController(store, actions({ stop: () => Promise.reject(new Error('project shop is locked by pid 42\nmore')) }), () => {});
    await run({ kind: 'toggle', service: 'db', running: true });
    expect(store.getState().status).toEqual({ text: 'stopping db failed: project shop is locked by pid 42', tone: 'error' });
  });

  it('does nothing more once the stack is down, but quits', async () => {
    const store = createStore({ ...stateWith([]), down: true }, { batchMs: 0 });
    let quit = false;
    const run = createController(store, actions(), () => (quit = true));
    await run({ kind: 'start', service: 'db' } as never);
    await run({ kind: 'restart', service: 'db' });
    expect(store.getState().status).toMatchObject({ tone: 'error', text: 'shop is down; q quits' });
    await run({ kind: 'quit' });
    expect(quit).toBe(true);
  });
});
