/** Compose's `up` flags in the plan: --scale, --pull, --no-start, --no-recreate, --no-build, -t. */
import { describe, expect, it } from 'vitest';
import type { Stack } from '../config/model.js';
import { UsageError } from '../errors.js';
import { configHash } from './config-hash.js';
import { formatPlan } from './format.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { planUp } from './plan-up.js';
import { networkName, serviceNetworks } from './resources.js';
import { assertRunOverrides, withRunOverrides } from './run-overrides.js';
import { makeStack, shopStack } from './test-stack.js';

/** The stack's containers as a finished `up` leaves them: up to date and running. */
function running(stack: Stack): ObservedState {
  const containers: ObservedContainer[] = Object.values(stack.services).flatMap((s) =>
    Array.from({ length: s.replicas }, (_, i) => ({
      name: `${stack.name}-${s.name}-${i + 1}`,
      project: stack.name,
      service: s.name,
      number: i + 1,
      configHash: configHash(s),
      state: 'running' as const,
      networks: serviceNetworks(s).map((k) => networkName(stack, k)),
      volumes: [],
    })),
  );
  return { known: true, containers, networks: [{ name: `${stack.name}_default`, project: stack.name }], volumes: [], images: ['redis:7'] };
}

const web = () => makeStack({ name: 'demo', services: { web: { image: 'host', replicas: 2 }, db: { image: 'redis:7' } } });

describe('--scale and --pull', () => {
  it('runs the given number of containers, 0 included, and leaves the file\'s stack alone', () => {
    const stack = web();
    const scaled = withRunOverrides(stack, { scale: { web: 3, db: 0 } });
    expect(stack.services.web!.replicas).toBe(2);
    expect(formatPlan(planUp(scaled))).toMatchInlineSnapshot(`
      "[] -> #1 network:demo_default  create-network
      [] -> #2 image:redis:7  pull-image
      [1] -> #3 container:demo-web-1  create-container
      [1] -> #4 container:demo-web-2  create-container
      [1] -> #5 container:demo-web-3  create-container
      [3] -> #6 container:demo-web-1  start-container
      [4] -> #7 container:demo-web-2  start-container
      [5] -> #8 container:demo-web-3  start-container"
    `);
    // Scaling down what runs removes the highest-numbered containers.
    expect(formatPlan(planUp(withRunOverrides(stack, { scale: { web: 1 } }), { observed: running(stack) }))).toMatchInlineSnapshot(`
      "[] -> #1 container:demo-web-2  stop-container (scale down)
      [1] -> #2 container:demo-web-2  remove-container (scale down)"
    `);
  });

  it('refuses an unknown service and a fixed container name scaled past one', () => {
    expect(() => assertRunOverrides(web(), { scale: { nope: 2 } })).toThrow(new UsageError('--scale nope=2: no such service in /work/stack.yaml'));
    const named = makeStack({ services: { web: { image: 'host', container_name: 'front' } } });
    expect(() => assertRunOverrides(named, { scale: { web: 2 } })).toThrow(/--scale web=2: web has a fixed container_name \(front\)/);
    expect(() => assertRunOverrides(named, { scale: { web: 0 } })).not.toThrow();
  });

  it('overrides every service\'s pull policy for the run', () => {
    const stack = web();
    const present = { ...running(stack), containers: [], images: ['redis:7'] };
    expect(formatPlan(planUp(stack, { observed: present }))).not.toContain('pull-image');
    expect(formatPlan(planUp(withRunOverrides(stack, { pull: 'always' }), { observed: present }))).toContain('image:redis:7  pull-image');
    expect(formatPlan(planUp(withRunOverrides(stack, { pull: 'never' })))).not.toContain('pull-image');
  });
});

describe('--no-start, --no-recreate, --no-build, -t', () => {
  it('--no-start creates and starts nothing, waits for nothing', () => {
    expect(formatPlan(planUp(shopStack(), { noStart: true }))).toMatchInlineSnapshot(`
      "[] -> #1 network:shop_backend  create-network
      [] -> #2 network:shop_front  create-network
      [] -> #3 volume:shop_pgdata  create-volume
      [] -> #4 image:shop-api  build-image
      [] -> #5 image:nginx:1.27  pull-image
      [1,3] -> #6 container:shop-db-1  create-container
      [1] -> #7 container:shop-migrate-1  create-container
      [1,2,4] -> #8 container:shop-api-1  create-container
      [1,2,4] -> #9 container:shop-api-2  create-container
      [1] -> #10 container:shop-worker-1  create-container
      [2,5] -> #11 container:shop-web-1  create-container"
    `);
  });

  it('--no-recreate keeps containers whose configuration changed; --force-recreate and -t recreate with that grace period', () => {
    const stack = web();
    const observed = running(stack);
    stack.services.web!.environment = { CHANGED: '1' };
    expect(formatPlan(planUp(stack, { observed, noRecreate: true }))).toBe('');
    const recreate = planUp(stack, { observed, timeout: 1500 });
    const stops = recreate.nodes.filter((n) => n.operation === 'stop-container');
    expect(stops.map((n) => (n.operation === 'stop-container' ? n.gracePeriod : 0))).toEqual([1500, 1500]);
  });

  it('--no-build builds nothing, and names the service whose image is missing', () => {
    const stack = makeStack({ name: 'demo', services: { api: { build: { context: '.', dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false } } } });
    expect(() => planUp(stack, { noBuild: true })).toThrow(new UsageError('--no-build: the image demo-api of service api is not built; run `stack build api` first, or leave out --no-build'));
    const built = { known: true, containers: [], networks: [], volumes: [], images: ['demo-api'] } satisfies ObservedState;
    expect(formatPlan(planUp(stack, { noBuild: true, observed: built }))).not.toContain('build-image');
  });
});
