import { describe, expect, it } from 'vitest';
import type { Stack } from '../config/model.js';
import { configHash } from './config-hash.js';
import { formatPlan } from './format.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { planUp } from './plan-up.js';
import { resource, serviceNetworks, networkName } from './resources.js';
import { makeStack, shopStack } from './test-stack.js';

/** A container of the stack as the runtime would report it: up to date and running unless told. */
function container(stack: Stack, service: string, number: number, over: Partial<ObservedContainer> = {}): ObservedContainer {
  const s = stack.services[service];
  return {
    name: `${stack.name}-${service}-${number}`,
    project: stack.name,
    service,
    number,
    configHash: s ? configHash(s) : 'gone',
    state: 'running',
    networks: s ? serviceNetworks(s).map((k) => networkName(stack, k)) : [],
    volumes: [],
    ...over,
  };
}

/** Everything of the shop up and running, as after a successful `up`. */
function shopRunning(stack: Stack): ObservedState {
  return {
    known: true,
    containers: [
      container(stack, 'db', 1),
      container(stack, 'migrate', 1, { state: 'exited', exitCode: 0 }),
      container(stack, 'api', 1),
      container(stack, 'api', 2),
      container(stack, 'worker', 1),
      container(stack, 'web', 1),
    ],
    networks: ['shop_backend', 'shop_front'].map((name) => ({ name, project: 'shop' })),
    volumes: [{ name: 'shop_pgdata', project: 'shop' }],
    images: ['shop-api', 'nginx:1.27'],
  };
}

describe('reconcile', () => {
  it('leaves up-to-date running containers and a one-shot that finished (exit 0) alone, still waits for health', () => {
    const stack = shopStack();
    expect(formatPlan(planUp(stack, { observed: shopRunning(stack) }))).toMatchInlineSnapshot(`
      "[] -> #1 service:db  wait-ready (healthy)
      [] -> #2 service:migrate  wait-exit (exit 0)
      [] -> #3 service:api  wait-ready (healthy)"
    `);
  });

  it('recreates the containers of a service whose configuration changed, and nothing else', () => {
    const stack = shopStack();
    const observed = shopRunning(stack);
    stack.services.web!.environment = { GREETING: 'hello' };
    expect(formatPlan(planUp(stack, { observed }))).toMatchInlineSnapshot(`
      "[] -> #1 service:db  wait-ready (healthy)
      [] -> #2 service:migrate  wait-exit (exit 0)
      [] -> #3 service:api  wait-ready (healthy)
      [] -> #4 container:shop-web-1  stop-container (recreate)
      [4] -> #5 container:shop-web-1  remove-container (recreate)
      [5] -> #6 container:shop-web-1  create-container
      [3,6] -> #7 container:shop-web-1  start-container"
    `);
  });

  it('restarts a dependent that asks for it when its dependency is recreated', () => {
    const stack = shopStack();
    const observed = shopRunning(stack);
    stack.services.web!.depends_on.api!.restart = true;
    stack.services.api!.environment = { LOG: 'debug' };
    expect(formatPlan(planUp(stack, { observed, services: ['web'], noDeps: false }))).toMatchInlineSnapshot(`
      "[] -> #1 service:db  wait-ready (healthy)
      [] -> #2 service:migrate  wait-exit (exit 0)
      [] -> #3 container:shop-api-1  stop-container (recreate)
      [3] -> #4 container:shop-api-1  remove-container (recreate)
      [4] -> #5 container:shop-api-1  create-container
      [] -> #6 container:shop-api-2  stop-container (recreate)
      [6] -> #7 container:shop-api-2  remove-container (recreate)
      [7] -> #8 container:shop-api-2  create-container
      [1,2,5] -> #9 container:shop-api-1  start-container
      [1,2,8] -> #10 container:shop-api-2  start-container
      [9,10] -> #11 service:api  wait-ready (healthy)
      [] -> #12 container:shop-web-1  stop-container (restart)
      [11,12] -> #13 container:shop-web-1  start-container"
    `);
  });

  it('recreates everything with forceRecreate', () => {
    const stack = makeStack({ services: { app: { image: 'host' } } });
    const observed: ObservedState = {
      known: true,
      containers: [container(stack, 'app', 1)],
      networks: [{ name: 'shop_default', project: 'shop' }],
      volumes: [],
      images: [],
    };
    expect(formatPlan(planUp(stack, { observed }))).toBe('');
    expect(formatPlan(planUp(stack, { observed, forceRecreate: true }))).toMatchInlineSnapshot(`
      "[] -> #1 container:shop-app-1  stop-container (recreate)
      [1] -> #2 container:shop-app-1  remove-container (recreate)
      [2] -> #3 container:shop-app-1  create-container
      [3] -> #4 container:shop-app-1  start-container"
    `);
  });

  it('starts stopped containers, creates missing replicas and removes excess ones', () => {
    const stack = makeStack({ services: { app: { image: 'host', replicas: 2 } } });
    const observed: ObservedState = {
      known: true,
      containers: [
        container(stack, 'app', 1, { state: 'exited', exitCode: 137 }),
        container(stack, 'app', 3),
        container(stack, 'app', 4, { state: 'created' }),
      ],
      networks: [{ name: 'shop_default', project: 'shop' }],
      volumes: [],
      images: [],
    };
    expect(formatPlan(planUp(stack, { observed }))).toMatchInlineSnapshot(`
      "[] -> #1 container:shop-app-2  create-container
      [] -> #2 container:shop-app-1  start-container
      [1] -> #3 container:shop-app-2  start-container
      [] -> #4 container:shop-app-3  stop-container (scale down)
      [4] -> #5 container:shop-app-3  remove-container (scale down)
      [] -> #6 container:shop-app-4  remove-container (scale down)"
    `);
  });

  it('starts a service that was stopped on request (exit 0), keeps one that finished by itself', () => {
    const stack = makeStack({ services: { app: { image: 'host' }, job: { image: 'host' } } });
    const observed: ObservedState = {
      known: true,
      containers: [
        container(stack, 'app', 1, { state: 'exited', exitCode: 0, stopRequested: true }),
        container(stack, 'job', 1, { state: 'exited', exitCode: 0 }),
      ],
      networks: [{ name: 'shop_default', project: 'shop' }],
      volumes: [],
      images: [],
    };
    expect(formatPlan(planUp(stack, { observed }))).toBe('[] -> #1 container:shop-app-1  start-container');
    // `stack start` starts both.
    expect(formatPlan(planUp(stack, { observed, startFinished: true }))).toBe(
      '[] -> #1 container:shop-app-1  start-container\n[] -> #2 container:shop-job-1  start-container',
    );
  });

  it('recreates a container whose image was rebuilt (its image ID changed), and only it', () => {
    const stack = makeStack({ services: { app: { image: 'host' }, web: { image: 'web:1' } } });
    const observed: ObservedState = {
      known: true,
      containers: [{ ...container(stack, 'app', 1), imageId: 'sha256:a' }, { ...container(stack, 'web', 1), imageId: 'sha256:old' }],
      networks: [{ name: 'shop_default', project: 'shop' }],
      volumes: [],
      images: ['host', 'web:1'],
      imageIds: { host: 'sha256:a', 'web:1': 'sha256:new' },
    };
    expect(formatPlan(planUp(stack, { observed }))).toMatchInlineSnapshot(`
      "[] -> #1 container:shop-web-1  stop-container (recreate)
      [1] -> #2 container:shop-web-1  remove-container (recreate)
      [2] -> #3 container:shop-web-1  create-container
      [3] -> #4 container:shop-web-1  start-container"
    `);
  });

  it('lists orphans, and removes them only when asked', () => {
    const stack = makeStack({ services: { app: { image: 'host' } } });
    const observed: ObservedState = {
      known: true,
      containers: [
        container(stack, 'app', 1),
        container(stack, 'legacy', 1),
        container(stack, 'cron', 1, { state: 'exited', exitCode: 0 }),
        { ...container(stack, 'other', 1), project: 'elsewhere' },
      ],
      networks: [{ name: 'shop_default', project: 'shop' }],
      volumes: [],
      images: [],
    };
    const plan = planUp(stack, { observed });
    expect(plan.orphans).toEqual(['shop-cron-1', 'shop-legacy-1']);
    expect(formatPlan(plan)).toBe('orphans: shop-cron-1, shop-legacy-1');
    expect(formatPlan(planUp(stack, { observed, removeOrphans: true }))).toMatchInlineSnapshot(`
      "[] -> #1 container:shop-cron-1  remove-container (orphan)
      [] -> #2 container:shop-legacy-1  stop-container (orphan)
      [2] -> #3 container:shop-legacy-1  remove-container (orphan)
      orphans: shop-cron-1, shop-legacy-1"
    `);
  });

  it('pulls a present image only with pull_policy always, and rebuilds with build', () => {
    const stack = makeStack({
      services: {
        cache: { image: 'redis:7' },
        fresh: { image: 'nginx:1', pull_policy: 'always' },
        app: { build: { context: '/w/app', dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false } },
      },
    });
    const observed: ObservedState = { known: true, containers: [], networks: [], volumes: [], images: ['redis:7', 'nginx:1', 'shop-app'] };
    const imageLines = (text: string): string[] => text.split('\n').filter((l) => l.includes(' image:'));
    expect(imageLines(formatPlan(planUp(stack, { observed })))).toEqual(['[] -> #2 image:nginx:1  pull-image']);
    expect(imageLines(formatPlan(planUp(stack, { observed, build: true })))).toEqual([
      '[] -> #2 image:nginx:1  pull-image',
      '[] -> #3 image:shop-app  build-image',
    ]);
    expect(resource.image('shop-app')).toBe('image:shop-app');
  });
});
