import { describe, expect, it } from 'vitest';
import { makeStack } from '../planner/test-stack.js';
import { keptHostPort } from '../runtime/embedded/snapshots/kept-ports.js';
import { checkSnapshotName } from '../runtime/embedded/snapshots/snapshot-record.js';
import { restartedDependents } from './snapshots.js';

describe('restartedDependents', () => {
  const stack = makeStack({
    services: {
      db: {},
      cache: {},
      api: { depends_on: { db: { condition: 'service_healthy', restart: true }, cache: { restart: false } } },
      worker: { depends_on: { cache: { restart: true } } },
      web: { depends_on: { api: { restart: true } } },
    },
  });

  it('names the services that depend on a reset one with restart: true, and no others', () => {
    expect(restartedDependents(stack, ['db'])).toEqual(['api']);
    expect(restartedDependents(stack, ['cache'])).toEqual(['worker']);
    // Direct dependents only, as Compose restarts them on a recreate; a reset one is not restarted again.
    expect(restartedDependents(stack, ['db', 'api'])).toEqual(['web']);
    expect(restartedDependents(stack, ['web'])).toEqual([]);
  });
});

describe('keptHostPort', () => {
  const kept = { keptPorts: [{ target: 80, protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 41000 }] };

  it('gives the host port a published port had before the reset, matching target, protocol and address', () => {
    expect(keptHostPort(kept, { target: 80, protocol: 'tcp', host_ip: '' })).toBe(41000);
    expect(keptHostPort(kept, { target: 80, protocol: 'udp', host_ip: '' })).toBeUndefined();
    expect(keptHostPort(kept, { target: 80, protocol: 'tcp', host_ip: '0.0.0.0' })).toBeUndefined();
    expect(keptHostPort({}, { target: 80, protocol: 'tcp', host_ip: '' })).toBeUndefined();
  });
});

describe('checkSnapshotName', () => {
  it('takes names like image tags, and refuses paths, empty names and the subcommands', () => {
    for (const ok of ['seeded', 'v1.2', 'after_migrate-3']) expect(() => checkSnapshotName(ok)).not.toThrow();
    for (const bad of ['', '../x', 'a/b', '.hidden', '-x', 'ls', 'rm', 'x'.repeat(129)]) expect(() => checkSnapshotName(bad), bad).toThrow(/snapshot name/);
  });
});
