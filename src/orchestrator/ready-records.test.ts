/** Ready records: written from the executor's events, read back only for the run that was checked, removed by down. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Stack } from '../config/model.js';
import { healthWithReady, readReadiness, readyDir, readyStateOf, recordReadiness, removeReadiness } from './ready-records.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tempRoot = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-ready-'));
  dirs.push(d);
  return d;
};
const stack = { name: 'shop', services: { db: { ready: { kind: 'tcp', port: 5432 } }, web: {} } } as unknown as Stack;
const state = (service: string, container: string, s: 'checking' | 'ready' | 'failed' | 'running', detail?: string) =>
  ({ kind: 'service-state', time: Date.now(), service, name: service, container, state: s, ...(detail ? { detail } : {}) }) as const;

describe('ready records', () => {
  it('records the ready: checks of services that have one, and reads them back', () => {
    const root = tempRoot();
    const sink = recordReadiness(root, stack);
    sink(state('db', 'shop-db-1', 'checking', 'tcp 5432'));
    expect(readReadiness(root, 'shop').get('shop-db-1')).toMatchObject({ state: 'checking', detail: 'tcp 5432', pid: process.pid });
    sink(state('db', 'shop-db-1', 'ready'));
    sink(state('web', 'shop-web-1', 'ready')); // no ready: check, nothing to record
    sink(state('db', 'shop-db-1', 'running'));
    const records = readReadiness(root, 'shop');
    expect([...records.keys()]).toEqual(['shop-db-1']);
    expect(records.get('shop-db-1')!.state).toBe('ready');
    sink(state('db', 'shop-db-1', 'failed', 'tcp 5432: refused'));
    expect(readReadiness(root, 'shop').get('shop-db-1')!.state).toBe('unready');
    removeReadiness(root, 'shop');
    expect(fs.existsSync(readyDir(root, 'shop'))).toBe(false);
  });

  it('counts a record only for the running container it was made for', () => {
    const record = { container: 'c', service: 'db', state: 'ready' as const, since: Date.parse('2026-12-05T12:00:00Z'), pid: process.pid };
    expect(readyStateOf(record, { state: 'running', startedAt: '2026-12-05T11:59:59Z' })).toBe('ready');
    expect(readyStateOf(record, { state: 'running', startedAt: '2026-12-05T12:00:01Z' })).toBeUndefined(); // restarted since
    expect(readyStateOf(record, { state: 'exited', startedAt: '2026-12-05T11:59:59Z' })).toBeUndefined();
    expect(readyStateOf({ ...record, state: 'checking', pid: 2 ** 22 + 1 }, { state: 'running' })).toBeUndefined(); // its checker is gone
    expect(readyStateOf({ ...record, state: 'checking' }, { state: 'running' })).toBe('checking');
  });

  it('shows beside the healthcheck, or alone', () => {
    expect(healthWithReady('none', 'ready')).toBe('ready');
    expect(healthWithReady('healthy', 'ready')).toBe('healthy, ready');
    expect(healthWithReady('starting', undefined)).toBe('starting');
    expect(healthWithReady('none', undefined)).toBe('');
  });
});
