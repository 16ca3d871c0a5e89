/** The dashboard's HEALTH cell tells a `ready:` check's state, from the snapshot's ready records. */
import { describe, expect, it } from 'vitest';
import { healthCell } from './format.js';
import { reduce } from './reduce.js';
import { container, stateWith } from './testing.js';

describe('HEALTH with ready: checks', () => {
  const containers = [container('db', 1), container('api', 1, { health: 'healthy' }), container('api', 2)];
  const state = reduce(stateWith(containers), {
    type: 'snapshot',
    time: Date.parse('2024-05-01T10:01:02.000Z'),
    containers,
    stats: {},
    ready: { 'shop-db-1': 'ready', 'shop-api-1': 'checking' },
  });
  const cell = (name: string) => healthCell(state.rows.find((r) => r.container === name)!);

  it('shows the ready state alone or beside the healthcheck, with its tone', () => {
    expect(cell('shop-db-1')).toEqual({ text: 'ready', tone: 'ok' });
    expect(cell('shop-api-1')).toEqual({ text: 'healthy, checking', tone: 'busy' });
    expect(cell('shop-api-2')).toEqual({ text: '', tone: 'idle' });
  });

  it('shows a failed check as a failure', () => {
    const failed = reduce(state, { type: 'snapshot', time: 0, containers, stats: {}, ready: { 'shop-db-1': 'unready' } });
    expect(healthCell(failed.rows.find((r) => r.container === 'shop-db-1')!)).toEqual({ text: 'unready', tone: 'fail' });
  });
});
