import { describe, expect, it } from 'vitest';
import { CycleError } from '../errors.js';
import { buildGraph } from './graph.js';
import { makeStack } from './test-stack.js';

describe('buildGraph', () => {
  it('orders dependencies first, breaking ties by file order', () => {
    const stack = makeStack({
      services: {
        web: { depends_on: ['api'] },
        api: { depends_on: ['db', 'cache'] },
        cache: {},
        db: {},
        docs: {},
      },
    });
    expect(buildGraph(stack).order).toEqual(['cache', 'db', 'api', 'web', 'docs']);
  });

  it('keeps file order among the dependents of one service', () => {
    // a DFS-based sort would give 3 before 2 here
    const stack = makeStack({
      services: { s0: { depends_on: ['s5'] }, s1: {}, s2: { depends_on: ['s4'] }, s3: { depends_on: ['s4'] }, s4: {}, s5: {} },
    });
    expect(buildGraph(stack).order).toEqual(['s1', 's4', 's2', 's3', 's5', 's0']);
  });

  it('has edges from depends_on, links and volumes_from, one per pair', () => {
    const stack = makeStack({
      services: {
        app: {
          depends_on: { db: 'service_healthy' },
          links: [{ service: 'db', alias: 'database' }, { service: 'cache', alias: 'cache' }],
          volumes_from: [{ service: 'data', read_only: true }],
        },
        db: {},
        cache: {},
        data: {},
      },
    });
    const g = buildGraph(stack);
    expect(g.edges.map((e) => `${e.from} -> ${e.to} ${e.kind} ${e.condition} ${e.path}`)).toEqual([
      'app -> db depends_on service_healthy services.app.depends_on.db',
      'app -> cache links service_started services.app.links.1',
      'app -> data volumes_from service_started services.app.volumes_from.0',
    ]);
    expect(g.dependents.get('db')!.map((e) => e.from)).toEqual(['app']);
    expect(g.order).toEqual(['db', 'cache', 'data', 'app']);
  });

  it('skips an optional dependency on a service that is not there', () => {
    const stack = makeStack({ services: { app: { depends_on: { ghost: { required: false } } } } });
    expect(buildGraph(stack).edges).toEqual([]);
  });

  it('names a cycle by its path, starting at its first service in the file, with where it is written', () => {
    const stack = makeStack({
      services: {
        web: { depends_on: ['api'] },
        worker: { depends_on: ['api'] },
        api: { depends_on: ['db', 'worker'] },
        db: {},
      },
      locations: { 'services.worker.depends_on.api': [9, 7] },
    });
    const error = captureCycle(() => buildGraph(stack));
    expect(error.cycle).toEqual(['worker', 'api', 'worker']);
    expect(error.message).toBe('stack.yaml:9:7 services.worker.depends_on.api: dependency cycle: worker -> api -> worker');
    expect(error.code).toBe('E_CYCLE');
    expect(error.exitCode).toBe(2);
  });

  it('names the brief example api -> worker -> api', () => {
    const stack = makeStack({
      services: { api: { depends_on: ['worker'] }, worker: { depends_on: ['api'] } },
      locations: { 'services.api.depends_on.worker': [9, 7] },
    });
    expect(() => buildGraph(stack)).toThrowError(
      'stack.yaml:9:7 services.api.depends_on.worker: dependency cycle: api -> worker -> api',
    );
  });

  it('names a self-dependency', () => {
    const stack = makeStack({ services: { db: {}, api: { depends_on: ['db', 'api'] } } });
    const error = captureCycle(() => buildGraph(stack));
    expect(error.cycle).toEqual(['api', 'api']);
    expect(error.message).toBe('stack.yaml:1:1 services.api.depends_on.api: dependency cycle: api -> api');
  });

  it('follows edges in declaration order through links and volumes_from', () => {
    const stack = makeStack({
      services: {
        a: { depends_on: ['b'] },
        b: { links: [{ service: 'x', alias: 'x' }, { service: 'c', alias: 'c' }] },
        c: { volumes_from: [{ service: 'a', read_only: false }] },
        x: {},
      },
    });
    const error = captureCycle(() => buildGraph(stack));
    expect(error.message).toBe('stack.yaml:1:1 services.a.depends_on.b: dependency cycle: a -> b -> c -> a');
  });

  it('ignores services that only depend on a cycle when naming it', () => {
    const stack = makeStack({ services: { top: { depends_on: ['b'] }, b: { depends_on: ['c'] }, c: { depends_on: ['b'] } } });
    expect(captureCycle(() => buildGraph(stack)).cycle).toEqual(['b', 'c', 'b']);
  });

  it('handles long chains without deep recursion', () => {
    const services: Record<string, { depends_on?: string[] }> = {};
    for (let i = 0; i < 50_000; i++) services[`s${i}`] = i > 0 ? { depends_on: [`s${i - 1}`] } : {};
    services.s0 = { depends_on: ['s49999'] };
    const error = captureCycle(() => buildGraph(makeStack({ services })));
    expect(error.cycle.length).toBe(50_001);
    expect(error.cycle[0]).toBe('s0');
  });
});

function captureCycle(fn: () => unknown): CycleError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CycleError) return error;
    throw error;
  }
  throw new Error('expected a CycleError');
}
