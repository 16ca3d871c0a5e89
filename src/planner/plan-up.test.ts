import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../errors.js';
import { formatPlan } from './format.js';
import { planUp } from './plan-up.js';
import { makeStack, shopStack } from './test-stack.js';

describe('planUp', () => {
  it('plans a single service: its network, then create and start', () => {
    const stack = makeStack({ name: 'demo', services: { app: { image: 'host' } } });
    expect(formatPlan(planUp(stack))).toBe(
      [
        '[] -> #1 network:demo_default  create-network',
        '[1] -> #2 container:demo-app-1  create-container',
        '[2] -> #3 container:demo-app-1  start-container',
      ].join('\n'),
    );
  });

  it('plans the shop: containers created early, started behind their gates', () => {
    expect(formatPlan(planUp(shopStack()))).toMatchInlineSnapshot(`
      "[] -> #1 network:shop_backend  create-network
      [] -> #2 network:shop_front  create-network
      [] -> #3 volume:shop_pgdata  create-volume
      [] -> #4 image:shop-api  build-image
      [] -> #5 image:nginx:1.27  pull-image
      [1,3] -> #6 container:shop-db-1  create-container
      [6] -> #7 container:shop-db-1  start-container
      [7] -> #8 service:db  wait-ready (healthy)
      [1] -> #9 container:shop-migrate-1  create-container
      [8,9] -> #10 container:shop-migrate-1  start-container
      [10] -> #11 service:migrate  wait-exit (exit 0)
      [1,2,4] -> #12 container:shop-api-1  create-container
      [1,2,4] -> #13 container:shop-api-2  create-container
      [8,11,12] -> #14 container:shop-api-1  start-container
      [8,11,13] -> #15 container:shop-api-2  start-container
      [14,15] -> #16 service:api  wait-ready (healthy)
      [1] -> #17 container:shop-worker-1  create-container
      [7,11,17] -> #18 container:shop-worker-1  start-container
      [2,5] -> #19 container:shop-web-1  create-container
      [16,19] -> #20 container:shop-web-1  start-container"
    `);
  });

  it('plans a subset with what it needs', () => {
    expect(formatPlan(planUp(shopStack(), { services: ['worker'] }))).toMatchInlineSnapshot(`
      "[] -> #1 network:shop_backend  create-network
      [] -> #2 volume:shop_pgdata  create-volume
      [1,2] -> #3 container:shop-db-1  create-container
      [3] -> #4 container:shop-db-1  start-container
      [4] -> #5 service:db  wait-ready (healthy)
      [1] -> #6 container:shop-migrate-1  create-container
      [5,6] -> #7 container:shop-migrate-1  start-container
      [7] -> #8 service:migrate  wait-exit (exit 0)
      [1] -> #9 container:shop-worker-1  create-container
      [4,8,9] -> #10 container:shop-worker-1  start-container"
    `);
  });

  it('plans a subset alone with noDeps, without gates on what is left out', () => {
    expect(formatPlan(planUp(shopStack(), { services: ['api'], noDeps: true }))).toMatchInlineSnapshot(`
      "[] -> #1 network:shop_backend  create-network
      [] -> #2 network:shop_front  create-network
      [] -> #3 image:shop-api  build-image
      [1,2,3] -> #4 container:shop-api-1  create-container
      [1,2,3] -> #5 container:shop-api-2  create-container
      [4] -> #6 container:shop-api-1  start-container
      [5] -> #7 container:shop-api-2  start-container
      [6,7] -> #8 service:api  wait-ready (healthy)"
    `);
  });

  it('leaves out services of profiles that are not enabled', () => {
    const stack = makeStack({
      services: {
        app: { image: 'host' },
        debug: { image: 'host', profiles: ['debug'], depends_on: ['app'] },
      },
    });
    expect(formatPlan(planUp(stack))).toMatchInlineSnapshot(`
      "[] -> #1 network:shop_default  create-network
      [1] -> #2 container:shop-app-1  create-container
      [2] -> #3 container:shop-app-1  start-container"
    `);
    expect(formatPlan(planUp(stack, { profiles: ['debug'] }))).toMatchInlineSnapshot(`
      "[] -> #1 network:shop_default  create-network
      [1] -> #2 container:shop-app-1  create-container
      [2] -> #3 container:shop-app-1  start-container
      [1] -> #4 container:shop-debug-1  create-container
      [3,4] -> #5 container:shop-debug-1  start-container"
    `);
  });

  it('pulls, imports or builds each distinct image once, and fetches nothing for host and scratch', () => {
    const stack = makeStack({
      name: 'img',
      services: {
        a: { image: 'redis:7' },
        b: { image: 'redis:7' },
        c: { image: 'docker-archive:/tmp/app.tar' },
        d: { image: 'oci:/tmp/layout' },
        e: { image: 'scratch' },
        f: { image: 'redis:7', pull_policy: 'never' },
        g: { image: 'tool:1', build: { context: '/w/tool', dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false } },
      },
    });
    expect(formatPlan(planUp(stack)).split('\n').filter((l) => l.includes('image'))).toEqual([
      '[] -> #2 image:redis:7  pull-image',
      '[] -> #3 image:docker-archive:/tmp/app.tar  import-image',
      '[] -> #4 image:oci:/tmp/layout  import-image',
      '[] -> #5 image:tool:1  build-image',
    ]);
  });

  it('says which dependency can never be healthy', () => {
    const stack = makeStack({
      services: { db: { image: 'host' }, api: { image: 'host', depends_on: { db: 'service_healthy' } } },
      locations: { 'services.api.depends_on.db': [7, 7] },
    });
    expect(() => planUp(stack)).toThrowError(ConfigError);
    expect(() => planUp(stack)).toThrowError(
      'stack.yaml:7:7 services.api.depends_on.db: "db" has no healthcheck or ready check, so it can never be healthy',
    );
  });

  it("waits on the image's HEALTHCHECK of a service awaited healthy that sets no check itself, as Compose does", () => {
    const stack = makeStack({
      services: { db: { image: 'docker-archive:/tmp/db.tar' }, api: { image: 'host', depends_on: { db: 'service_healthy' } }, other: { image: 'redis:7' } },
    });
    const lines = formatPlan(planUp(stack)).split('\n');
    expect(lines.filter((l) => l.includes('wait-ready'))).toEqual([expect.stringMatching(/service:db {2}wait-ready \(healthy\)$/)]);
    // `healthcheck: {disable: true}` leaves nothing to wait on.
    const disabled = makeStack({
      services: { db: { image: 'redis:7', healthcheck: { test: ['NONE'], interval: 1, timeout: 1, retries: 1, start_period: 0, start_interval: 1 } }, api: { image: 'host', depends_on: { db: 'service_healthy' } } },
    });
    expect(() => planUp(disabled)).toThrowError('"db" has no healthcheck or ready check, so it can never be healthy');
  });

  it('rejects an unknown service with a suggestion', () => {
    expect(() => planUp(shopStack(), { services: ['wbe'] })).toThrowError(UsageError);
    expect(() => planUp(shopStack(), { services: ['wbe'] })).toThrowError('no such service: "wbe" (did you mean "web"?)');
  });

  it('numbers nodes in a topological order', () => {
    for (const node of planUp(shopStack()).nodes) {
      for (const dep of node.dependsOn) expect(dep).toBeLessThan(node.id);
    }
  });
});

describe('planUp with links and volumes_from', () => {
  it('gates on the linked service being started, and creates after the container whose volumes it borrows', () => {
    const stack = makeStack({
      services: {
        data: { image: 'host' },
        app: {
          image: 'host',
          links: [{ service: 'data', alias: 'store' }],
          volumes_from: [{ service: 'data', read_only: true }],
        },
      },
    });
    expect(formatPlan(planUp(stack))).toMatchInlineSnapshot(`
      "[] -> #1 network:shop_default  create-network
      [1] -> #2 container:shop-data-1  create-container
      [2] -> #3 container:shop-data-1  start-container
      [1,2] -> #4 container:shop-app-1  create-container
      [3,4] -> #5 container:shop-app-1  start-container"
    `);
  });
});
