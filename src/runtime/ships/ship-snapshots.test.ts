/**
 * ship-snapshots.ts over recording runtimes (the real thing, on two Docker engines, is in
 * e2e/docker-ships.test.ts): each ship is asked for its own containers only, the parts merge into
 * one snapshot per name, a snapshot of a name replaces the part a ship no longer holds, and a
 * snapshot no ship holds is refused by name.
 */
import { describe, expect, it } from 'vitest';
import { SnapshotError } from '../../errors.js';
import type { Runtime } from '../runtime.js';
import type { ResetOptions, SnapshotInfo } from '../snapshot-types.js';
import { listShipSnapshots, mergeSnapshotInfos, removeShipSnapshot, resetShipSnapshot, takeShipSnapshot, type ShipsOfProject } from './ship-snapshots.js';

/** A ship that keeps snapshots of the containers it is given, and records the calls. */
function ship(label: string, calls: string[]) {
  const held = new Map<string, SnapshotInfo>();
  const runtime = {
    async snapshot(project: string, name: string, containers: string[]) {
      calls.push(`${label} snapshot ${name} ${containers.join(',')}`);
      const info: SnapshotInfo = { name, project, services: containers.map((c) => c.split('-')[1]!), containers, volumes: [`${project}_${label}`], size: 10, createdAt: `2026-12-06T10:00:0${held.size}.000Z` };
      held.set(name, info);
      return info;
    },
    listSnapshots: async () => [...held.values()],
    async removeSnapshot(_project: string, name: string) {
      calls.push(`${label} rm ${name}`);
      held.delete(name);
    },
    async resetToSnapshot(_project: string, name: string, containers: string[], opts: ResetOptions) {
      calls.push(`${label} reset ${name} ${containers.join(',')} ports ${Object.keys(opts.ports ?? {}).join(',')}`);
    },
  };
  return runtime as unknown as Runtime;
}

function ships(calls: string[]): ShipsOfProject {
  const where: Record<string, string> = { 'p-app-1': '', 'p-db-1': 'east', 'p-cache-1': 'east' };
  return { runtimes: new Map([['', ship('here', calls)], ['east', ship('east', calls)]]), shipOf: async (c) => where[c]! };
}

describe('snapshots over ships', () => {
  it('takes each ship\'s containers there, lists one snapshot per name, resets each ship\'s own', async () => {
    const calls: string[] = [];
    const s = ships(calls);
    const info = await takeShipSnapshot(s, 'p', 'seed', ['p-app-1', 'p-cache-1', 'p-db-1']);
    expect(calls).toEqual(['here snapshot seed p-app-1', 'east snapshot seed p-cache-1,p-db-1']);
    expect(info).toEqual({ name: 'seed', project: 'p', services: ['app', 'cache', 'db'], containers: ['p-app-1', 'p-cache-1', 'p-db-1'], volumes: ['p_east', 'p_here'], size: 20, createdAt: '2026-12-06T10:00:00.000Z' });
    expect(await listShipSnapshots(s, 'p')).toEqual([info]);

    calls.length = 0;
    await resetShipSnapshot(s, 'p', 'seed', ['p-app-1', 'p-db-1'], { ports: { 'p-db-1': [{ hostIp: '0.0.0.0', hostPort: 5432, target: 5432, protocol: 'tcp' }] } });
    expect(calls.sort()).toEqual(['east reset seed p-db-1 ports p-db-1', 'here reset seed p-app-1 ports ']);
  });

  it('replaces a name wholly (a ship without the containers now loses its part), and refuses to remove what no ship holds', async () => {
    const calls: string[] = [];
    const s = ships(calls);
    await takeShipSnapshot(s, 'p', 'seed', ['p-app-1', 'p-db-1']);
    calls.length = 0;
    const again = await takeShipSnapshot(s, 'p', 'seed', ['p-db-1']);
    expect(calls).toEqual(['east snapshot seed p-db-1', 'here rm seed']);
    expect(again.containers).toEqual(['p-db-1']);
    expect((await listShipSnapshots(s, 'p')).map((i) => i.containers)).toEqual([['p-db-1']]);

    await expect(removeShipSnapshot(s, 'p', 'other')).rejects.toThrow(new SnapshotError('no snapshot "other" in project p (there are: seed)'));
    await removeShipSnapshot(s, 'p', 'seed');
    expect(await listShipSnapshots(s, 'p')).toEqual([]);
  });

  it('merges parts oldest first', () => {
    const part = (name: string, createdAt: string): SnapshotInfo => ({ name, project: 'p', services: [], containers: [], volumes: [], size: 1, createdAt });
    expect(mergeSnapshotInfos([part('b', '2026-01-02'), part('a', '2026-01-03'), part('a', '2026-01-01')]).map((i) => `${i.name} ${i.createdAt} ${i.size}`)).toEqual(['a 2026-01-01 2', 'b 2026-01-02 1']);
  });
});
