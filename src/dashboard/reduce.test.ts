import { describe, expect, it } from 'vitest';
import { LOG_LIMIT, visibleLogs, type DashState } from './model.js';
import { printable, reduce } from './reduce.js';
import { container, stateWith } from './testing.js';
import type { Event, ServiceState } from '../executor/events.js';

const T0 = Date.parse('2024-05-01T10:01:00.000Z');
const log = (name: string, text: string, service = name): { type: 'event'; event: Event } => ({
  type: 'event',
  event: { kind: 'log', time: 0, service, name, stream: 'stdout', text },
});
const apply = (state: DashState, ...actions: Parameters<typeof reduce>[1][]): DashState => actions.reduce(reduce, state);

describe('snapshots', () => {
  it('lists containers in start order, then by instance, and services without a container', () => {
    const s = stateWith([container('web', 1), container('api', 2), container('api', 1), container('db', 1, { state: 'exited', exitCode: 3 })]);
    expect(s.rows.map((r) => `${r.name} ${r.state}${r.exitCode !== undefined ? ` ${r.exitCode}` : ''}`)).toEqual(['db exited 3', 'api-1 running', 'api-2 running', 'web running']);
    expect(stateWith([container('db', 1)]).rows.map((r) => `${r.name} ${r.state}`)).toEqual(['db running', 'api absent', 'web absent']);
  });

  it('leaves out one-off containers of `stack run`', () => {
    const oneOff = container('db', 9, { labels: { 'io.hafen.project': 'shop', 'io.hafen.service': 'db', 'io.hafen.one-off': 'true' } });
    expect(stateWith([container('db', 1), oneOff]).rows.filter((r) => r.service === 'db')).toHaveLength(1);
  });

  it('computes CPU % from the difference of two samples, and shows memory against its limit', () => {
    const first = stateWith([]);
    const look = (time: number, cpuNanos: number): DashState =>
      reduce(s, { type: 'snapshot', time, containers: [container('db', 1)], stats: { 'shop-db-1': { cpuNanos, memoryBytes: 5 << 20, memoryLimit: 128 << 20, pids: 3 } } });
    let s = first;
    s = look(T0, 1e9);
    expect(s.rows[0]).toMatchObject({ memoryBytes: 5 << 20, memoryLimit: 128 << 20 });
    expect(s.rows[0]!.cpuPercent).toBeUndefined();
    s = look(T0 + 1000, 1.5e9); // half a second of CPU in one second
    expect(s.rows[0]!.cpuPercent).toBeCloseTo(50);
  });

  it('keeps the selection on the same container, and moves within the rows', () => {
    let s = stateWith([container('db', 1), container('api', 1), container('web', 1)]);
    expect(s.selected).toBe('shop-db-1');
    s = apply(s, { type: 'move', by: 1 }, { type: 'move', by: 1 }, { type: 'move', by: 5 });
    expect(s.selected).toBe('shop-web-1');
    s = reduce(s, { type: 'snapshot', time: T0, containers: [container('web', 1), container('db', 1)], stats: {} });
    expect(s.selected).toBe('shop-web-1');
    s = apply(s, { type: 'move', by: -9 });
    expect(s.selected).toBe('shop-db-1');
  });
});

describe('events', () => {
  it('shows what an action is doing to a container until it reaches a resting state', () => {
    const at = (state: ServiceState): Parameters<typeof reduce>[1] => ({
      type: 'event',
      event: { kind: 'service-state', time: 0, service: 'db', name: 'db', state },
    });
    let s = apply(stateWith([container('db', 1)]), at('stopping'));
    expect(s.activity).toEqual({ db: 'stopping' });
    s = apply(s, at('stopped'), at('starting'), at('checking'));
    expect(s.activity).toEqual({ db: 'checking' });
    s = apply(s, at('ready'));
    expect(s.activity).toEqual({});
  });

  it('turns a plan run into finished lines (for <Static>) and live ones', () => {
    const events: Event[] = [
      { kind: 'plan-start', time: 0, project: 'shop', action: 'up', nodes: 4, names: ['db', 'web'] },
      { kind: 'service-state', time: 10, service: 'db', name: 'db', state: 'starting' },
      { kind: 'service-state', time: 20, service: 'db', name: 'db', state: 'checking', detail: 'tcp 5432' },
      { kind: 'probe', time: 30, service: 'db', name: 'db', check: 'tcp 5432', ok: false, detail: 'refused', attempt: 1 },
      { kind: 'service-state', time: 1210, service: 'db', name: 'db', state: 'ready' },
      { kind: 'service-state', time: 1290, service: 'web', name: 'web', state: 'failed', detail: 'http :8080: timed out' },
      {
        kind: 'op-failed', time: 1300, ms: 90, id: 4, operation: 'wait-ready', resource: 'service:web', service: 'web', name: 'web',
        error: { code: 'E_READINESS', message: 'web did not get ready', check: 'http :8080', reason: 'timed out', logTail: ['listening?'] },
      },
    ];
    let s = stateWith([]);
    for (const event of events.slice(0, 4)) s = reduce(s, { type: 'event', event });
    expect(s.plan!.live).toEqual({ db: { text: 'checking tcp 5432: refused', tone: 'busy' } });
    expect(s.probes.db).toEqual([{ check: 'tcp 5432', ok: false, detail: 'refused', attempt: 1 }]);
    for (const event of events.slice(4)) s = reduce(s, { type: 'event', event });
    expect(s.doneLines.map((l) => `${l.tone} ${l.label}: ${l.text}${l.more.length ? ` / ${l.more.join(' / ')}` : ''}`)).toEqual([
      'ok db: ready (1.2s)',
      'fail web: failed: http :8080: timed out',
      'fail :  / last log lines: / | listening?', // a container's failure: only the details under its line
    ]);
    expect(s.status).toEqual({ text: 'web: http :8080: timed out', tone: 'error' });
    s = reduce(s, { type: 'event', event: { kind: 'plan-done', time: 1400, ok: false, ms: 1400 } });
    expect(s.doneLines.at(-1)).toMatchObject({ text: 'failed after 1.4s', tone: 'fail' });
    expect(s.plan!.live).toEqual({});
  });

  it('keeps the last log lines, drawable', () => {
    let s = stateWith([container('db', 1)]);
    for (let i = 0; i < LOG_LIMIT + 5; i++) s = reduce(s, log('db', `line ${i}`));
    expect(s.logs).toHaveLength(LOG_LIMIT);
    expect(s.logs[0]!.text).toBe('line 5');
    expect(printable('\x1b[31mred\x1b[0m\tand\rbell\x07')).toBe('red    andbell');
  });
});

describe('the log pane', () => {
  const withLogs = (): DashState =>
    apply(stateWith([container('db', 1), container('web', 1)]), log('db', 'tick 1'), log('web', 'GET /'), log('db', 'tock 2'), log('web', 'tick 3'));
  const texts = (s: DashState): string[] => visibleLogs(s).map((l) => `${l.name} ${l.text}`);

  it('filters by a regex as it is typed, and applies it with enter', () => {
    let s = apply(withLogs(), { type: 'filter-start' }, { type: 'filter-input', text: 'TICK' });
    expect(texts(s)).toEqual(['db tick 1', 'web tick 3']);
    s = apply(s, { type: 'filter-apply' });
    expect(s.filter).toBe('TICK');
    expect(s.filterDraft).toBeUndefined();
    expect(texts(s)).toEqual(['db tick 1', 'web tick 3']);
  });

  it('refuses a regex that does not compile, saying why, and keeps the one applied', () => {
    let s = apply(withLogs(), { type: 'filter-start' }, { type: 'filter-input', text: 'to' }, { type: 'filter-apply' });
    s = apply(s, { type: 'filter-start' }, { type: 'filter-input', text: 'tick(' });
    expect(texts(s)).toEqual(['db tock 2']);
    s = reduce(s, { type: 'filter-apply' });
    expect(s.status).toMatchObject({ tone: 'error', text: expect.stringMatching(/^filter \/tick\(\/: .*unterminated group/i) });
    expect(s.filterDraft).toBe('tick(');
    expect(apply(s, { type: 'filter-cancel' }).filter).toBe('to');
  });

  it("follows the selected service's lines or all of them, and pauses", () => {
    let s = apply(withLogs(), { type: 'move', by: 2 }, { type: 'log-scope', scope: 'selected' }); // db, api (none yet), web
    expect(texts(s)).toEqual(['web GET /', 'web tick 3']);
    s = apply(s, { type: 'log-scope', scope: 'all' }, { type: 'pause-toggle' }, log('db', 'later'));
    expect(texts(s)).not.toContain('db later');
    expect(s.logSeq - s.pausedAt!).toBe(1);
    expect(texts(apply(s, { type: 'pause-toggle' }))).toContain('db later');
  });
});
