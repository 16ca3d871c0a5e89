import { describe, expect, it } from 'vitest';
import type { ObservedContainer, ObservedState } from './observed.js';
import { formatPlan } from './format.js';
import { planDown, type DownOptions } from './plan-down.js';
import { makeStack, shopStack } from './test-stack.js';

/** A container of project shop on its default network. */
function container(service: string, number: number, state: ObservedContainer['state']): ObservedContainer {
  const name = `shop-${service}-${number}`;
  return { name, project: 'shop', service, number, configHash: 'x', state, networks: ['shop_default'], volumes: [] };
}

describe('planDown', () => {
  /** The whole of shopStack's down, when nothing was observed (so everything it declares): dependents first. */
  const everything = [
    '[] -> #1 container:shop-web-1  stop-container',
    '[1] -> #2 container:shop-web-1  remove-container',
    '[] -> #3 container:shop-worker-1  stop-container',
    '[3] -> #4 container:shop-worker-1  remove-container',
    '[1] -> #5 container:shop-api-1  stop-container',
    '[5] -> #6 container:shop-api-1  remove-container',
    '[1] -> #7 container:shop-api-2  stop-container',
    '[7] -> #8 container:shop-api-2  remove-container',
    '[3,5,7] -> #9 container:shop-migrate-1  stop-container',
    '[9] -> #10 container:shop-migrate-1  remove-container',
    '[3,5,7,9] -> #11 container:shop-db-1  stop-container',
    '[11] -> #12 container:shop-db-1  remove-container',
    '[4,6,8,10,12] -> #13 network:shop_backend  remove-network',
    '[2,6,8] -> #14 network:shop_front  remove-network',
  ];
  it.each<{ what: string; options: DownOptions; plan: string[] }>([
    { what: 'everything the stack declares when nothing was observed: dependents first', options: {}, plan: everything },
    {
      what: 'named volumes and images only when asked',
      options: { volumes: true, images: 'local' },
      plan: [...everything, '[12] -> #15 volume:shop_pgdata  remove-volume', '[6,8] -> #16 image:shop-api  remove-image'],
    },
    {
      what: 'only the named services, leaving networks and volumes',
      options: { services: ['web', 'api'], volumes: true },
      plan: everything.slice(0, 2).concat(['[1] -> #3 container:shop-api-1  stop-container', '[3] -> #4 container:shop-api-1  remove-container', '[1] -> #5 container:shop-api-2  stop-container', '[5] -> #6 container:shop-api-2  remove-container']),
    },
  ])('takes down $what', ({ options, plan }) => {
    expect(formatPlan(planDown(shopStack(), undefined, options))).toBe(plan.join('\n'));
  });

  it('signals a dependency beside its dependents when they are killed outright (no grace to use it)', () => {
    // -t 0: every stop kills at once, so none waits for another.
    const stops = (plan: string) => plan.split('\n').filter((l) => l.endsWith('stop-container'));
    expect(stops(formatPlan(planDown(shopStack(), undefined, { timeout: 0 })))).toEqual([
      '[] -> #1 container:shop-web-1  stop-container',
      '[] -> #3 container:shop-worker-1  stop-container',
      '[] -> #5 container:shop-api-1  stop-container',
      '[] -> #7 container:shop-api-2  stop-container',
      '[] -> #9 container:shop-migrate-1  stop-container',
      '[] -> #11 container:shop-db-1  stop-container',
    ]);
    // One dependent without grace (SIGKILL, or 0s): its dependency waits only for the others.
    for (const killed of [{ stop_signal: 'SIGKILL' }, { stop_grace_period: 0 }]) {
      const stack = makeStack({
        services: { db: { image: 'host' }, cache: { image: 'host' }, app: { image: 'host', depends_on: ['db', 'cache'], ...killed }, report: { image: 'host', depends_on: ['db'] } },
      });
      expect(stops(formatPlan(planDown(stack)))).toEqual([
        '[] -> #1 container:shop-report-1  stop-container',
        '[] -> #3 container:shop-app-1  stop-container',
        '[] -> #5 container:shop-cache-1  stop-container',
        '[1] -> #7 container:shop-db-1  stop-container',
      ]);
    }
  });

  it('takes down only what exists, with orphans when asked', () => {
    const stack = makeStack({
      services: { db: { image: 'host' }, app: { image: 'host', depends_on: ['db'], replicas: 2 } },
      volumes: { data: {} },
    });
    const observed: ObservedState = {
      known: true,
      containers: [
        container('app', 2, 'running'),
        { ...container('db', 1, 'exited'), exitCode: 0, volumes: ['shop_data'] },
        container('old', 1, 'running'),
      ],
      networks: [{ name: 'shop_default', project: 'shop' }, { name: 'other_default', project: 'other' }],
      volumes: [{ name: 'shop_data', project: 'shop' }],
      images: [],
    };
    expect(formatPlan(planDown(stack, observed, { volumes: true }))).toMatchInlineSnapshot(`
      "[] -> #1 container:shop-app-2  stop-container
      [1] -> #2 container:shop-app-2  remove-container
      [] -> #3 container:shop-db-1  remove-container
      [2,3] -> #4 network:shop_default  remove-network
      [3] -> #5 volume:shop_data  remove-volume
      orphans: shop-old-1"
    `);
    expect(formatPlan(planDown(stack, observed, { volumes: true, removeOrphans: true }))).toMatchInlineSnapshot(`
      "[] -> #1 container:shop-app-2  stop-container
      [1] -> #2 container:shop-app-2  remove-container
      [] -> #3 container:shop-db-1  remove-container
      [] -> #4 container:shop-old-1  stop-container (orphan)
      [4] -> #5 container:shop-old-1  remove-container (orphan)
      [2,3,5] -> #6 network:shop_default  remove-network
      [3] -> #7 volume:shop_data  remove-volume
      orphans: shop-old-1"
    `);
    // The embedded runtime's down: the network goes once its running containers stopped (a stopped one has left it).
    expect(formatPlan(planDown(stack, observed, { volumes: true, removeOrphans: true, networksAfterStops: true }))).toMatchInlineSnapshot(`
      "[] -> #1 container:shop-app-2  stop-container
      [1] -> #2 container:shop-app-2  remove-container
      [] -> #3 container:shop-db-1  remove-container
      [] -> #4 container:shop-old-1  stop-container (orphan)
      [4] -> #5 container:shop-old-1  remove-container (orphan)
      [1,3,4] -> #6 network:shop_default  remove-network
      [3] -> #7 volume:shop_data  remove-volume
      orphans: shop-old-1"
    `);
  });
});
