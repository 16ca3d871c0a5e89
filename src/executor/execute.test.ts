import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ReadyCheck } from '../config/model.js';
import { InterruptedError, ReadinessError } from '../errors.js';
import { planDown } from '../planner/plan-down.js';
import { planUp } from '../planner/plan-up.js';
import { healthcheck, makeStack, type ServiceInput } from '../planner/test-stack.js';
import { ManualClock, systemClock } from './clock.js';
import type { Event, EventOf } from './events.js';
import { executePlan, type ExecuteOptions } from './execute.js';
import { InMemoryRuntime } from './in-memory-runtime.js';

/** A stack, its up plan, an in-memory runtime on a manual clock, and the events of the run. */
function setup(services: Record<string, ServiceInput>) {
  const clock = new ManualClock(0);
  const runtime = new InMemoryRuntime(clock);
  const stack = makeStack({ name: 'shop', services });
  const events: Event[] = [];
  const run = (options: Partial<ExecuteOptions> = {}) =>
    clock.run(executePlan(planUp(stack), { runtime, stack, clock, sink: (e) => events.push(e), ...options }));
  const of = <K extends Event['kind']>(kind: K) => events.filter((e): e is EventOf<K> => e.kind === kind);
  /** When a container (by display name) reached a state. */
  const when = (name: string, state: string) =>
    of('service-state').find((e) => e.name === name && e.state === state)?.time;
  return { clock, runtime, stack, events, run, of, when };
}

const exec = (start_interval = 50, interval = 1000): ReadyCheck => ({
  kind: 'exec',
  command: ['check'],
  start_interval,
  interval,
  timeout: 500,
});

describe('executePlan', () => {
  it('starts independent branches in parallel', async () => {
    const t = setup({
      a: { healthcheck: healthcheck(['CMD', 'true']) },
      b: { healthcheck: healthcheck(['CMD', 'true']) },
    });
    t.runtime.script('a', { startMs: 10, healthyAfter: 300 }).script('b', { startMs: 10, healthyAfter: 500 });
    await t.run();
    const startA = t.runtime.timeOf('startContainer', 'shop-a-1')!;
    const startB = t.runtime.timeOf('startContainer', 'shop-b-1')!;
    expect(Math.max(startA, startB)).toBeLessThan(Math.min(t.when('a', 'ready')!, t.when('b', 'ready')!));
    expect(startA).toBe(startB);
    expect(t.of('plan-done')).toMatchObject([{ ok: true }]);
  });

  it('lets a slow healthy dependency delay only its dependents', async () => {
    const t = setup({
      db: { healthcheck: healthcheck(['CMD', 'pg_isready']) },
      api: { depends_on: { db: 'service_healthy' } },
      cache: {},
      worker: { depends_on: ['cache'] },
    });
    t.runtime.script('db', { healthyAfter: 3000 });
    await t.run();
    expect(t.runtime.timeOf('startContainer', 'shop-worker-1')).toBe(0);
    expect(t.when('db', 'ready')).toBeGreaterThanOrEqual(3000);
    expect(t.runtime.timeOf('startContainer', 'shop-api-1')).toBe(t.when('db', 'ready'));
  });

  it('does not let a long wait hold a queue slot', async () => {
    const t = setup({
      db: { healthcheck: healthcheck(['CMD', 'pg_isready']) },
      api: { depends_on: { db: 'service_healthy' } },
      other: { image: 'busybox' },
    });
    t.runtime.script('db', { healthyAfter: 10_000 }).scriptImage('busybox', { ms: 1000 });
    await t.run({ concurrency: 1 });
    expect(t.when('other', 'running')).toBeLessThan(2000);
    expect(t.when('db', 'ready')).toBeGreaterThanOrEqual(10_000);
  });

  it('waits for a one-shot to exit 0 before starting what needs it', async () => {
    const t = setup({
      migrate: {},
      api: { depends_on: { migrate: 'service_completed_successfully' } },
    });
    t.runtime.script('migrate', { exitAfter: 800, exitCode: 0 });
    await t.run();
    expect(t.of('service-state').find((e) => e.name === 'migrate' && e.state === 'exited')).toMatchObject({ time: 800, exitCode: 0 });
    expect(t.runtime.timeOf('startContainer', 'shop-api-1')).toBe(800);
  });

  it('fails on a one-shot that exits non-zero: names it, shows its logs, starts nothing after it', async () => {
    const t = setup({
      migrate: {},
      api: { depends_on: { migrate: 'service_completed_successfully' } },
      web: { depends_on: ['api'] },
      cache: {},
      late: { depends_on: ['cache'] },
    });
    t.runtime
      .script('migrate', {
        exitAfter: 100,
        exitCode: 3,
        logs: [
          { at: 10, text: 'applying 001_init' },
          { at: 90, text: 'relation "users" already exists', stream: 'stderr' },
        ],
      })
      .script('cache', { startMs: 500 });
    const error = await t.run().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReadinessError);
    const r = error as ReadinessError;
    expect(r.service).toBe('migrate');
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('exited with code 3');
    expect(r.logTail).toEqual(['applying 001_init', 'relation "users" already exists']);
    expect(r.message).toMatchInlineSnapshot(`
      "service migrate: service_completed_successfully failed: exited with code 3
      last log lines of migrate:
        applying 001_init
        relation "users" already exists"
    `);

    expect(t.runtime.targetsOf('startContainer')).not.toContain('shop-api-1');
    expect(t.runtime.targetsOf('startContainer')).not.toContain('shop-late-1');
    const skipped = t.of('op-skipped').map((e) => `${e.resource} ${e.operation} ${e.reason}`);
    expect(skipped).toContain('container:shop-api-1 start-container dependency-failed');
    expect(skipped).toContain('container:shop-web-1 start-container dependency-failed');
    expect(skipped).toContain('container:shop-late-1 start-container stopped');
    // The unrelated cache had started before the failure and was let finish.
    expect(t.of('op-done').map((e) => e.resource)).toContain('container:shop-cache-1');
    expect(t.runtime.calls.find((c) => c.method === 'startContainer' && c.target === 'shop-cache-1')?.end).toBe(500);
    expect(t.of('plan-done')).toMatchObject([{ ok: false, error: { code: 'E_READINESS', service: 'migrate' } }]);
  });

  it('fails a service_healthy dependency that exits before it is ready', async () => {
    const t = setup({
      db: { healthcheck: healthcheck(['CMD', 'pg_isready']) },
      api: { depends_on: { db: 'service_healthy' } },
    });
    t.runtime.script('db', { exitAfter: 200, exitCode: 1, logs: [{ at: 150, text: 'FATAL: bad config' }] });
    const error = (await t.run().catch((e: unknown) => e)) as ReadinessError;
    expect(error.message).toMatchInlineSnapshot(`
      "service db: healthcheck failed: exited with code 1 before it was ready
      last log lines of db:
        FATAL: bad config"
    `);
    expect(t.runtime.targetsOf('startContainer')).toEqual(['shop-db-1']);
  });

  it('fails a healthcheck the runtime reports unhealthy', async () => {
    const t = setup({ db: { healthcheck: healthcheck(['CMD', 'pg_isready']) } });
    t.runtime.script('db', { unhealthyAfter: 400 });
    const error = (await t.run().catch((e: unknown) => e)) as ReadinessError;
    expect(error.check).toBe('healthcheck');
    expect(error.reason).toBe('unhealthy after 3 failed checks');
  });

  it('needs both the healthcheck and the ready check when a service has both', async () => {
    const t = setup({ db: { healthcheck: healthcheck(['CMD', 'pg_isready']), ready: exec() } });
    t.runtime.script('db', { healthyAfter: 100, exec: (_, since) => (since >= 1500 ? 0 : 1) });
    await t.run();
    expect(t.when('db', 'ready')).toBeGreaterThanOrEqual(1500);
    const checks = new Set(t.of('probe').map((e) => e.check));
    expect(checks).toEqual(new Set(['healthcheck', 'exec check']));
  });

  it('fails at the wait timeout, naming the service and the check', async () => {
    const t = setup({ api: { ready: exec() } });
    t.runtime.script('api', { exec: () => ({ exitCode: 7, stderr: 'not yet\n' }) });
    const error = (await t.run({ waitTimeout: 2000 }).catch((e: unknown) => e)) as ReadinessError;
    expect(error).toBeInstanceOf(ReadinessError);
    expect(error.service).toBe('api');
    expect(error.check).toBe('exec check');
    expect(error.reason).toBe('not ready after 2s (last probe: exit 7: not yet)');
    expect(t.clock.now()).toBe(2000);
  });

  it('probes at once, then after start_interval, backing off ×1.5 up to interval', async () => {
    const t = setup({ api: { ready: exec(50, 400) } });
    t.runtime.script('api', { exec: (_, since) => (since >= 1500 ? 0 : 1) });
    await t.run();
    const probes = t.of('probe');
    // The first probe the moment the container runs; then pauses of 50, 75, 113, 170, 255, 383, then 400 each.
    expect(probes.map((p) => p.time)).toEqual([0, 50, 125, 238, 408, 663, 1046, 1446, 1846]);
    expect(probes.map((p) => p.ok)).toEqual([false, false, false, false, false, false, false, false, true]);
    expect(probes.map((p) => p.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('sees a service ready when its process has started, before start_interval has passed', async () => {
    const t = setup({ api: { ready: exec(500, 1000) }, web: { depends_on: { api: 'service_healthy' } } });
    t.runtime.script('api', { startMs: 20, exec: () => 0 });
    await t.run();
    expect(t.of('probe')).toMatchObject([{ time: 20, ok: true, attempt: 1 }]);
    expect(t.runtime.timeOf('startContainer', 'shop-web-1')).toBe(20);
  });

  it('looks again the moment the runtime reports a health change, not at the next poll', async () => {
    const t = setup({ db: { healthcheck: healthcheck(['CMD', 'pg_isready']) }, api: { depends_on: { db: 'service_healthy' } } });
    t.runtime.script('db', { healthyAfter: 333 });
    await t.run();
    // Polls alone (at 0, 50, 125, 238, 408 …) would see it at 408.
    expect(t.when('db', 'ready')).toBe(333);
    expect(t.runtime.timeOf('startContainer', 'shop-api-1')).toBe(333);
    expect(t.of('probe').filter((p) => p.service === 'db').map((p) => [p.time, p.ok])).toEqual([
      [0, false],
      [50, false],
      [125, false],
      [238, false],
      [333, true],
    ]);
  });

  it('sees a matching log line as soon as it is written', async () => {
    const t = setup({ api: { ready: { kind: 'log', pattern: 'listening on \\d+', start_interval: 50, interval: 1000, timeout: 500 } } });
    t.runtime.script('api', { logs: [{ at: 5, text: 'booting' }, { at: 700, text: 'listening on 8080' }] });
    await t.run();
    expect(t.when('api', 'ready')).toBe(700);
    expect(t.of('probe').at(-1)).toMatchObject({ ok: true, detail: 'listening on 8080', check: 'log /listening on \\d+/' });
  });

  it('waits for every replica', async () => {
    const t = setup({ api: { replicas: 2, ready: exec() } });
    t.runtime.script('shop-api-1', { exec: () => 0 }).script('shop-api-2', { exec: (_, since) => (since > 600 ? 0 : 1) });
    await t.run();
    expect(t.when('api-1', 'ready')).toBe(0);
    expect(t.when('api-2', 'ready')).toBeGreaterThan(600);
    expect(t.of('op-done').find((e) => e.operation === 'wait-ready')?.time).toBe(t.when('api-2', 'ready'));
  });

  it('stops on an abort: waits end, nothing new starts, E_INTERRUPTED', async () => {
    const t = setup({
      db: { healthcheck: healthcheck(['CMD', 'pg_isready']) },
      api: { depends_on: { db: 'service_healthy' } },
    });
    const abort = new AbortController();
    const done = executePlan(planUp(t.stack), { runtime: t.runtime, stack: t.stack, clock: t.clock, sink: (e) => t.events.push(e), signal: abort.signal });
    done.catch(() => undefined);
    await t.clock.advance(500);
    abort.abort();
    const error = await t.clock.run(done).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error).toMatchObject({ code: 'E_INTERRUPTED', exitCode: 130 });
    expect(t.clock.now()).toBe(500);
    const skipped = t.of('op-skipped').map((e) => `${e.resource} ${e.operation} ${e.reason}`);
    expect(skipped).toEqual(['service:db wait-ready cancelled', 'container:shop-api-1 start-container stopped']);
  });

  it('fails a container that does not start, with the runtime error', async () => {
    const t = setup({ db: {}, api: { depends_on: ['db'] } });
    t.runtime.script('db', { failStart: 'exec format error' });
    await expect(t.run()).rejects.toMatchObject({ code: 'E_RUNTIME', message: 'container shop-db-1: exec format error' });
    expect(t.of('op-failed')).toMatchObject([{ resource: 'container:shop-db-1', operation: 'start-container' }]);
    expect(t.of('op-skipped')).toMatchObject([{ resource: 'container:shop-api-1', reason: 'dependency-failed', cause: t.of('op-failed')[0]!.id }]);
  });

  it('runs a down plan: dependents stop first, then the network goes', async () => {
    const t = setup({ db: {}, api: { depends_on: ['db'] } });
    await t.run();
    await t.clock.run(executePlan(planDown(t.stack), { runtime: t.runtime, stack: t.stack, clock: t.clock }));
    const order = t.runtime.calls.filter((c) => /stop|remove/i.test(c.method)).map((c) => `${c.method} ${c.target}`);
    expect(order).toEqual([
      'stopContainer shop-api-1',
      'removeContainer shop-api-1',
      'stopContainer shop-db-1',
      'removeContainer shop-db-1',
      'removeNetwork shop_default',
    ]);
  });

  it('sends the stop to every container nothing running depends on at once, past the concurrency bound', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `s${i + 1}`);
    const t = setup({ ...Object.fromEntries(names.map((n) => [n, {}])), front: { depends_on: names } });
    for (const n of [...names, 'front']) t.runtime.script(n, { stopMs: 1000 });
    await t.run();
    await t.clock.run(executePlan(planDown(t.stack), { runtime: t.runtime, stack: t.stack, clock: t.clock, concurrency: 4 }));
    const stops = t.runtime.calls.filter((c) => c.method === 'stopContainer');
    // front first (the others serve it), then the twelve together: a slow stop holds up no other.
    expect(stops.find((c) => c.target === 'shop-front-1')).toMatchObject({ at: 0, end: 1000 });
    const rest = stops.filter((c) => c.target !== 'shop-front-1');
    expect(rest).toHaveLength(12);
    expect(new Set(rest.map((c) => c.at))).toEqual(new Set([1000]));
    expect(t.clock.now()).toBe(2000);
  });

  it('keeps to the concurrency bound', async () => {
    const services = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((n) => [n, {}]));
    const t = setup(services);
    for (const n of Object.keys(services)) t.runtime.script(n, { createMs: 100 });
    await t.run({ concurrency: 2 });
    const creates = t.runtime.calls.filter((c) => c.method === 'createContainer');
    const overlap = Math.max(...creates.map((c) => creates.filter((o) => o.at <= c.at && o.end! > c.at).length));
    expect(overlap).toBe(2);
    expect(Math.max(...creates.map((c) => c.end!))).toBe(300);
  });

  it('probes a tcp port through the resolver the runtime adapter gives, on the real clock', async () => {
    const server = net.createServer((c) => c.end());
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
    try {
      const stack = makeStack({ services: { db: { ready: { kind: 'tcp', port: 5432, start_interval: 5, interval: 20, timeout: 1000 } } } });
      const runtime = new InMemoryRuntime(systemClock);
      const events: Event[] = [];
      await executePlan(planUp(stack), {
        runtime,
        stack,
        sink: (e) => events.push(e),
        resolveEndpoint: (_, target) => (target === 5432 ? { host: '127.0.0.1', port } : undefined),
      });
      expect(events.filter((e) => e.kind === 'probe')).toMatchObject([{ check: 'tcp 5432', ok: true, detail: `connected to 127.0.0.1:${port}` }]);
    } finally {
      server.close();
    }
  });
});
