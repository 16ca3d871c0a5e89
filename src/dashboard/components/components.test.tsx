import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../executor/events.js';
import type { Effect } from '../keys.js';
import type { DashState } from '../model.js';
import { reduce } from '../reduce.js';
import { createStore } from '../store.js';
import { container, stateWith } from '../testing.js';
import { App } from './App.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { HelpOverlay } from './HelpOverlay.js';
import { LogPane } from './LogPane.js';
import { ServicesTable } from './ServicesTable.js';

const NOW = Date.parse('2024-05-01T10:03:05.000Z');
const db = container('db', 1, {
  health: 'healthy',
  restartCount: 2,
  ports: [{ target: 5432, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32768 }],
});
const containers = [db, container('api', 1, { health: 'starting' }), container('api', 2, { state: 'exited', exitCode: 3 })];
const stack = (): DashState =>
  reduce(stateWith(containers), {
    type: 'snapshot',
    time: Date.parse('2024-05-01T10:01:01.000Z'),
    containers,
    stats: { 'shop-db-1': { cpuNanos: 0, memoryBytes: 12 << 20, memoryLimit: 128 << 20, pids: 1 } },
  });
const withLogs = (state: DashState, lines: [string, string][]): DashState =>
  lines.reduce((s, [name, text]) => reduce(s, { type: 'event', event: { kind: 'log', time: 0, service: name.replace(/-\d+$/, ''), name, stream: 'stdout', text } as Event }), state);
const tick = () => new Promise((r) => setTimeout(r, 30));

describe('ServicesTable', () => {
  const full = stateWith(containers);
  it('shows every container with state, health, uptime, restarts and ports; the selected one marked', () => {
    const { lastFrame } = render(<ServicesTable rows={full.rows} selected="shop-api-1" activity={{}} width={100} height={10} now={NOW} />);
    expect(lastFrame()).toMatchInlineSnapshot(`
      "  SERVICE #  STATE       HEALTH    UPTIME  RESTARTS CPU % MEMORY    PORTS                   RUNTIME
        db      1  running     healthy   3m 5s   2        …               32768→5432              embedded
      ❯ api-1   1  running     starting  3m 5s   0        …                                       embedded
        api-2   2  exited 3                      0                                                embedded
        web        not created"
    `);
  });

  it('drops the least needed columns at 80 columns, and shows what an action is doing', () => {
    const { lastFrame } = render(<ServicesTable rows={full.rows} activity={{ 'api-1': 'stopping' }} width={80} height={10} now={NOW} />);
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toBe('  SERVICE #  STATE       HEALTH    UPTIME  RESTARTS CPU % MEMORY    PORTS');
    expect(lines[2]).toMatch(/^ {2}api-1 {3}1 {2}stopping… {3}starting/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('shows memory against its limit', () => {
    const s = stack();
    expect(s.rows.find((r) => r.name === 'db')).toMatchObject({ memoryBytes: 12 << 20 });
    const { lastFrame } = render(<ServicesTable rows={s.rows} activity={{}} width={100} height={10} now={NOW} />);
    expect(lastFrame()).toContain('12M/128M');
  });
});

describe('LogPane', () => {
  const logs = withLogs(stack(), [
    ['db', 'tick 1'],
    ['api-1', 'GET /health'],
    ['db', 'tock 2'],
  ]);
  it('merges all services, each line labelled', () => {
    const { lastFrame } = render(<LogPane state={logs} width={60} height={5} />);
    expect(lastFrame()).toMatchInlineSnapshot(`
      "── LOGS ── all services ────────────────────────────────────
      db    | tick 1
      api-1 | GET /health
      db    | tock 2"
    `);
  });

  it('shows only lines matching the filter, and says so', () => {
    const filtered = { ...logs, filter: 'TI?CK' };
    const { lastFrame } = render(<LogPane state={filtered} width={60} height={5} />);
    expect(lastFrame()).toContain('filter /TI?CK/');
    expect(lastFrame()).toMatch(/^db +\| tick 1$/m);
    expect(lastFrame()).not.toContain('GET /health');
    expect(lastFrame()).not.toContain('tock');
    const none = render(<LogPane state={{ ...logs, filter: 'nothing' }} width={60} height={5} />);
    expect(none.lastFrame()).toContain('no lines match /nothing/');
  });

  it('says when it is paused and how many lines wait', () => {
    const paused = withLogs({ ...logs, pausedAt: logs.logSeq }, [['db', 'later']]);
    const { lastFrame } = render(<LogPane state={paused} width={60} height={5} />);
    expect(lastFrame()).toContain('paused, 1 new');
    expect(lastFrame()).not.toContain('later');
  });
});

describe('HelpOverlay and ConfirmDialog', () => {
  it('the help lists every key', () => {
    const { lastFrame } = render(<HelpOverlay width={80} height={22} />);
    for (const key of ['k j', 'enter', ' l ', ' a ', ' / ', ' r ', ' s ', ' b ', ' x ', ' d ', ' ? ', ' q ']) expect(lastFrame()).toContain(key);
    expect(lastFrame()).toContain('take the whole stack down (asks first)');
  });

  it('the confirm dialog asks for y or n', () => {
    const { lastFrame } = render(<ConfirmDialog question="Take shop down?" width={80} />);
    expect(lastFrame()).toBe(' Take shop down?  y / n');
  });
});

describe('App', () => {
  const app = (state: DashState) => {
    const store = createStore(state, { batchMs: 0 });
    const effects: Effect[] = [];
    const view = render(<App store={store} onEffect={(e) => effects.push(e)} size={{ columns: 80, rows: 24 }} now={() => NOW} />);
    return { ...view, store, effects };
  };

  it('fits 80x24, one line short of the terminal', () => {
    const { lastFrame } = app(withLogs(stack(), [['db', 'tick']]));
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(23);
    expect(lines[0]).toMatch(/^hafen · shop · 2\/3 running · 1 failed +\? help {2}q quit$/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('filters the logs as the filter is typed, after /', async () => {
    const { lastFrame, stdin } = app(withLogs(stack(), [['db', 'tick 1'], ['api-1', 'GET /'], ['db', 'tock 2']]));
    stdin.write('/');
    await tick();
    for (const ch of 'tick') stdin.write(ch);
    await tick();
    expect(lastFrame()).toContain('/tick');
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toContain('log filter /tick/');
    expect(lastFrame()).toMatch(/^db +\| tick 1$/m);
    expect(lastFrame()).not.toContain('tock 2');
  });

  it('asks before taking the stack down, and n keeps it up', async () => {
    const { lastFrame, stdin, effects } = app(stack());
    stdin.write('d');
    await tick();
    expect(lastFrame()).toContain('Take shop down? Stops and removes its 3 container(s).  y / n');
    stdin.write('n');
    await tick();
    expect(lastFrame()).toContain('shop stays up');
    expect(effects).toEqual([]);
    stdin.write('d');
    await tick();
    stdin.write('y');
    await tick();
    expect(effects).toEqual([{ kind: 'effect', effect: { kind: 'down' } }.effect]);
  });

  it('opens the help with ? and the details with enter', async () => {
    const { lastFrame, stdin } = app(stack());
    stdin.write('?');
    await tick();
    expect(lastFrame()).toContain('── HELP');
    stdin.write('x');
    await tick();
    expect(lastFrame()).not.toContain('── HELP');
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toContain('── DETAILS ── db');
    expect(lastFrame()).toMatch(/ports\s+32768→5432/);
    expect(lastFrame()).toMatch(/environment PORT=5432/);
  });

  it('selects with j and restarts the selected service with r', async () => {
    const { stdin, effects, lastFrame } = app(stack());
    stdin.write('j');
    await tick();
    expect(lastFrame()).toMatch(/❯ api-1/);
    stdin.write('r');
    await tick();
    expect(effects).toEqual([{ kind: 'restart', service: 'api' }]);
  });

  it('takes keys that arrive in one chunk one by one (fast typing, tmux send-keys)', async () => {
    const { stdin, effects, lastFrame } = app(stack());
    stdin.write('jr');
    await tick();
    expect(lastFrame()).toMatch(/❯ api-1/);
    expect(effects).toEqual([{ kind: 'restart', service: 'api' }]);
  });
});
