import { describe, expect, it } from 'vitest';
import { systemClock } from '../executor/clock.js';
import { InMemoryRuntime } from '../executor/in-memory-runtime.js';
import { Label, type ContainerInfo, type ContainerSpec } from '../runtime/runtime.js';
import { initialState, serviceEntries } from './model.js';
import { StackSource } from './source.js';
import { createStore, type Store } from './store.js';
import { testStack } from './testing.js';

/** The containers of every snapshot the source gave the store, by name. */
function recordingStore(): { store: Store; snapshots: string[][] } {
  const inner = createStore(initialState({ project: 'shop', commandPrefix: 'stack -p shop', services: serviceEntries(testStack) }));
  const snapshots: string[][] = [];
  return {
    snapshots,
    store: {
      ...inner,
      dispatch: (action) => {
        if (action.type === 'snapshot') snapshots.push(action.containers.map((c: ContainerInfo) => `${c.name} ${c.state}`));
        inner.dispatch(action);
      },
    },
  };
}

async function until(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the dashboard source', () => {
  it('looks at the containers again when one of their events comes, not on its (minute-long) timer', async () => {
    const runtime = new InMemoryRuntime(systemClock);
    const { store, snapshots } = recordingStore();
    const source = new StackSource({ stack: testStack, opened: { runtime, root: '/nonexistent', close: async () => {} }, store, intervalMs: 60_000 });
    source.start();
    try {
      await until('the first look', () => snapshots.length === 1);
      expect(snapshots[0]).toEqual([]);
      const labels = { [Label.project]: 'shop', [Label.service]: 'db', [Label.instance]: '1' };
      await runtime.createContainer({ name: 'shop-db-1', image: 'host', labels, ports: [], networks: [] } as unknown as ContainerSpec);
      await runtime.startContainer('shop-db-1');
      await until('the started container', () => snapshots.at(-1)?.[0] === 'shop-db-1 running');
      await runtime.removeContainer('shop-db-1');
      await until('the removal', () => snapshots.at(-1)?.length === 0);
    } finally {
      await source.close();
    }
  });
});
