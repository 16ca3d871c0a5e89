import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerEvent } from '../runtime.js';
import { appendEvent, eventLogFile, readEventBacklog, tailEventLog, BACKLOG } from './event-log.js';
import { ensureProjectDir } from './state/project-paths.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

function project(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-event-log-'));
  roots.push(root);
  ensureProjectDir(root, 'p');
  return root;
}

const event = (ms: number, action: ContainerEvent['action'] = 'start'): ContainerEvent => ({
  time: new Date(ms).toISOString(),
  action,
  id: `id${ms}`,
  name: `p-web-${ms}`,
  image: 'busybox',
  labels: { 'io.hafen.project': 'p' },
});

/** The first `n` events of a tail, then stops it. */
async function take(it: AsyncIterable<ContainerEvent>, n: number, ac: AbortController): Promise<ContainerEvent[]> {
  const out: ContainerEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length === n) break;
  }
  ac.abort();
  return out;
}

describe('event log', () => {
  it('keeps what any process appended, for the next supervisor', () => {
    const root = project();
    appendEvent(root, 'p', event(1000));
    appendEvent(root, 'p', event(2000, 'die'));
    expect(readEventBacklog(root, 'p').map((e) => e.action)).toEqual(['start', 'die']);
    expect(fs.statSync(eventLogFile(root, 'p')).mode & 0o777).toBe(0o600);
  });

  it('appends nothing once the project state is gone (after down)', () => {
    const root = project();
    fs.rmSync(path.join(root, 'projects', 'p'), { recursive: true });
    appendEvent(root, 'p', event(1000));
    expect(fs.existsSync(path.join(root, 'projects', 'p'))).toBe(false);
  });

  it('is trimmed to the last BACKLOG events when it grows', () => {
    const root = project();
    const big = { ...event(0), labels: { 'io.hafen.project': 'p', pad: 'x'.repeat(1900) } };
    for (let i = 0; i < 1300; i++) appendEvent(root, 'p', { ...big, time: new Date(i).toISOString() });
    const lines = fs.readFileSync(eventLogFile(root, 'p'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(1300);
    expect(readEventBacklog(root, 'p').length).toBeLessThanOrEqual(BACKLOG);
    expect(readEventBacklog(root, 'p').at(-1)!.time).toBe(new Date(1299).toISOString());
  });

  it('tails from since: past events, then new ones, across a file replaced and one removed', async () => {
    const root = project();
    appendEvent(root, 'p', event(1000, 'create'));
    appendEvent(root, 'p', event(2000, 'start'));
    const ac = new AbortController();
    const got = take(tailEventLog(root, 'p', { since: 1500, signal: ac.signal, pollMs: 5 }), 4, ac);
    await new Promise((r) => setTimeout(r, 20));
    appendEvent(root, 'p', event(3000, 'die'));
    await new Promise((r) => setTimeout(r, 20));
    // Replaced with the same lines plus one (a trim): nothing given twice.
    const file = eventLogFile(root, 'p');
    fs.writeFileSync(`${file}.new`, `${fs.readFileSync(file, 'utf8')}${JSON.stringify(event(4000, 'destroy'))}\n`);
    fs.renameSync(`${file}.new`, file);
    await new Promise((r) => setTimeout(r, 20));
    appendEvent(root, 'p', event(5000, 'create'));
    expect((await got).map((e) => e.action)).toEqual(['start', 'die', 'destroy', 'create']);
  });

  it('reads lines written just before the file was removed', async () => {
    const root = project();
    appendEvent(root, 'p', event(1000, 'create'));
    const ac = new AbortController();
    const got = take(tailEventLog(root, 'p', { since: 0, signal: ac.signal, pollMs: 30 }), 2, ac);
    await new Promise((r) => setTimeout(r, 10));
    appendEvent(root, 'p', event(2000, 'destroy'));
    fs.rmSync(path.join(root, 'projects', 'p'), { recursive: true }); // `down`, within one look
    expect((await got).map((e) => e.action)).toEqual(['create', 'destroy']);
  });
});
