/**
 * Container events, on every runtime: what is done to a project's containers through the interface
 * (create, start, a healthcheck turning healthy, a kill signal, a stop, a removal) is told by
 * `Runtime.events` in order, with the container's id, name, labels and the action's details; the
 * events of another project's containers are not.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerEvent } from '../../src/runtime/runtime.js';
import { unmet } from '../../src/testing/requirements.js';
import { eventually, useRuntime } from './harness.js';
import { runtimes } from './runtimes.js';

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): container events`, () => {
    const h = useRuntime(factory, 34, 'ev');

    it('tells create, start, health_status, kill, die, stop and destroy of the project\'s containers, in order', async () => {
      const ac = new AbortController();
      const seen: ContainerEvent[] = [];
      const following = (async () => {
        for await (const e of h.runtime.events(h.labels(), { signal: ac.signal, since: Date.now() - 1000 })) seen.push(e);
      })();
      try {
        const spec = h.spec('watched', {
          image: h.images.busybox,
          command: ['sh', '-c', "trap 'exit 7' TERM; trap 'echo hup' HUP; sleep 600 & while :; do wait; done"],
          healthcheck: { test: ['CMD', 'true'], interval: 1000, timeout: 2000, retries: 3, start_period: 0, start_interval: 100 },
        });
        const other = { ...h.spec('other', { image: h.images.busybox, command: ['true'] }), labels: { 'io.hafen.project': `${h.project}x` } };
        const created = await h.runtime.createContainer(spec);
        await h.runtime.createContainer(other);
        await h.runtime.removeContainer(other.name, { force: true });
        await h.runtime.startContainer(spec.name);
        await eventually(() => seen.some((e) => e.action === 'health_status'), 15_000, 'health_status');
        await h.runtime.killContainer(spec.name, 'SIGHUP');
        await h.runtime.stopContainer(spec.name, { timeout: 5000 });
        await h.runtime.removeContainer(spec.name);
        await eventually(() => seen.some((e) => e.action === 'destroy'), 10_000, 'destroy');

        expect(seen.every((e) => e.name === spec.name && e.id === created.id && e.labels['io.hafen.project'] === h.project)).toBe(true);
        const actions = seen.map((e) => e.action);
        const order = ['create', 'start', 'health_status', 'kill', 'die', 'stop', 'destroy'] as const;
        const at = order.map((a) => actions.indexOf(a));
        expect(at.every((i) => i >= 0), actions.join(' ')).toBe(true);
        expect([...at].sort((a, b) => a - b), actions.join(' ')).toEqual(at);
        expect(seen.find((e) => e.action === 'health_status')?.health).toBe('healthy');
        expect(seen.find((e) => e.action === 'kill')?.signal).toMatch(/^(SIGHUP|1|HUP)$/);
        expect(seen.find((e) => e.action === 'die')?.exitCode).toBe(7);
      } finally {
        ac.abort();
        await following;
        await factory.cleanup(h.runtime, `${h.project}x`); // the other project's state (its container is gone), which the harness does not know of
      }
    }, 60_000);
  });
}
