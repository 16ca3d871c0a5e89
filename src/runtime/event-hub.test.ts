import { describe, expect, it } from 'vitest';
import { fromEngineEvent } from './docker/docker-events.js';
import { ContainerEventHub } from './event-hub.js';
import type { ContainerEvent } from './runtime.js';

const event = (time: string, action: ContainerEvent['action'], project = 'shop'): ContainerEvent => ({ time, action, id: 'x', name: `${project}-web-1`, labels: { 'io.hafen.project': project } });

describe('the container event hub', () => {
  it('gives the backlog from `since`, then live events of the matching containers, until aborted', async () => {
    const hub = new ContainerEventHub();
    hub.emit(event('2026-01-01T00:00:00.000Z', 'create'));
    hub.emit(event('2026-01-01T00:00:01.000Z', 'start'));
    hub.emit(event('2026-01-01T00:00:01.500Z', 'start', 'other'));
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of hub.follow({ 'io.hafen.project': 'shop' }, { signal: ac.signal, since: '2026-01-01T00:00:00.500Z' })) {
        seen.push(e.action);
        if (seen.length === 3) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 5));
    hub.emit(event('2026-01-01T00:00:02.000Z', 'die', 'other'));
    hub.emit(event('2026-01-01T00:00:02.000Z', 'die'));
    hub.emit(event('2026-01-01T00:00:03.000Z', 'destroy'));
    await done;
    expect(seen).toEqual(['start', 'die', 'destroy']);
  });
});

describe('Docker engine events', () => {
  it('health_status: healthy becomes the action and the health apart; labels without Docker\'s own attributes', () => {
    expect(
      fromEngineEvent({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'abc', Attributes: { name: 'shop-web-1', image: 'busybox', 'io.hafen.service': 'web' } }, timeNano: 1_765_000_000_123_456_789 }),
    ).toEqual({ time: new Date(1_765_000_000_123).toISOString(), action: 'health_status', id: 'abc', name: 'shop-web-1', image: 'busybox', labels: { 'io.hafen.service': 'web' }, health: 'healthy' });
    expect(fromEngineEvent({ Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { name: 'n', exitCode: '137' } }, time: 1 })).toMatchObject({ action: 'die', exitCode: 137 });
    expect(fromEngineEvent({ Type: 'container', Action: 'exec_create: true', Actor: { ID: 'abc' } })).toBeUndefined();
    expect(fromEngineEvent({ Type: 'network', Action: 'create' })).toBeUndefined();
  });
});
