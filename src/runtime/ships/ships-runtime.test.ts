/**
 * ShipsRuntime's own logic over recording runtimes (the ships themselves are tested for real in
 * e2e/docker-ships.test.ts and e2e/remote-ships.test.ts): where each service goes, a dependent on
 * another ship created only at its start with what that ship's reach says, a refusal naming both
 * services, a ship held while its containers wait, snapshots over embedded ships each taken on its
 * own ship, and a pending dependent put onto a snapshot once made.
 */
import { describe, expect, it } from 'vitest';
import type { Stack } from '../../config/model.js';
import { Label, type ContainerInfo, type ContainerSpec, type Runtime } from '../runtime.js';
import type { SnapshotInfo } from '../snapshot-types.js';
import { DEFAULT_SHIP, ShipsRuntime, type ShipEngine } from './ships-runtime.js';

/** A runtime that keeps what it was asked to create and reports it as running. */
function recording(): Runtime & { created: ContainerSpec[] } {
  const created: ContainerSpec[] = [];
  const info = (s: ContainerSpec): ContainerInfo => ({ id: s.name, name: s.name, image: s.image, labels: s.labels, state: 'running', health: 'none', oomKilled: false, createdAt: '', ports: [], addresses: {}, host: 'embedded' });
  const target = {
    created,
    createContainer: async (s: ContainerSpec) => (created.push(s), info(s)),
    startContainer: async (name: string) => info(created.find((s) => s.name === name)!),
    inspectContainer: async (name: string) => {
      const s = created.find((c) => c.name === name);
      return s && info(s);
    },
    listContainers: async () => created.map(info),
    close: async () => {},
  };
  return target as unknown as Runtime & { created: ContainerSpec[] };
}

const stack = {
  name: 'p',
  services: {
    db: { name: 'db', depends_on: {}, links: [] },
    app: { name: 'app', depends_on: { db: { condition: 'service_started' } }, links: [] },
  },
} as unknown as Pick<Stack, 'name' | 'services'>;

function spec(service: string): ContainerSpec {
  return { name: `p-${service}-1`, image: 'host', labels: { [Label.project]: 'p', [Label.service]: service }, env: { OWN: '1' }, extraHosts: {} } as unknown as ContainerSpec;
}

describe('ShipsRuntime', () => {
  it('creates a dependent on another ship at its start, with <DEP>_HOST/<DEP>_PORT and the names its ship gives; holds its ship meanwhile', async () => {
    const here = recording();
    const east = recording();
    const holds: string[] = [];
    const engines = new Map<string, ShipEngine>([
      [DEFAULT_SHIP, { runtime: here, host: 'embedded', reach: () => Promise.reject(new Error('not asked')), holdWhilePending: () => (holds.push('held'), () => holds.push('released')) }],
      ['east', { runtime: east, host: 'east', reach: async (project, service) => ({ host: `${service}.${project}.example`, ports: [{ target: 8080, port: 41000 }, { target: 9090, port: 41001 }], extraHosts: { 'db.p.example': 'host-gateway' } }) }],
    ]);
    const ships = new ShipsRuntime('embedded', engines, { db: 'east', app: DEFAULT_SHIP }, stack);
    await ships.createContainer(spec('db'));
    const pending = await ships.createContainer(spec('app'));
    expect(east.created.map((s) => s.name)).toEqual(['p-db-1']);
    expect(here.created).toEqual([]);
    expect(pending).toMatchObject({ state: 'created', host: 'embedded' });
    expect(holds).toEqual(['held']);

    await ships.startContainer('p-app-1');
    expect(here.created).toHaveLength(1);
    expect(here.created[0]!.env).toEqual({ DB_HOST: 'db.p.example', DB_PORT: '41000', DB_PORT_8080: '41000', DB_PORT_9090: '41001', OWN: '1' });
    expect(here.created[0]!.extraHosts).toEqual({ 'db.p.example': 'host-gateway' });
    expect(holds).toEqual(['held', 'released']);
    expect((await ships.listContainers({})).map((c) => `${c.name} ${c.host}`)).toEqual(['p-app-1 embedded', 'p-db-1 east']);
    // A ready: probe naming its container runs on that container's ship.
    const probed: string[] = [];
    Object.assign(east, { probeEndpoint: async (p: { host: string }) => (probed.push(p.host), { status: 'ok', detail: 'there' }) });
    expect(await ships.probeEndpoint({ kind: 'tcp', host: '10.0.0.2', port: 8080, container: 'p-db-1' }, new AbortController().signal)).toEqual({ status: 'ok', detail: 'there' });
    expect(probed).toEqual(['10.0.0.2']);
  });

  it('refuses a dependent its dependency\'s ship cannot be reached from, naming both (exit 2)', async () => {
    const engines = new Map<string, ShipEngine>([
      [DEFAULT_SHIP, { runtime: recording(), host: 'embedded', reach: () => Promise.reject(new Error('not asked')), unreachableFrom: () => 'not from there' }],
      ['east', { runtime: recording(), host: 'east', reach: () => Promise.reject(new Error('not asked')) }],
    ]);
    const ships = new ShipsRuntime('embedded', engines, { db: DEFAULT_SHIP, app: 'east' }, stack);
    await expect(ships.createContainer(spec('app'))).rejects.toMatchObject({ message: 'service app on ship east depends on db: not from there', exitCode: 2 });
  });

  it('snapshots over embedded ships (another host\'s too) each on its own ship; saving one refused in one line', async () => {
    const calls: string[] = [];
    const snapshotting = (label: string): Runtime => {
      const held: SnapshotInfo[] = [];
      return Object.assign(recording(), {
        async snapshot(project: string, name: string, containers: string[]) {
          calls.push(`${label} ${name} ${containers.join(',')}`);
          const info: SnapshotInfo = { name, project, services: containers.map((c) => c.split('-')[1]!), containers, volumes: [], size: 1, createdAt: '2026-12-06T10:00:00.000Z' };
          held.push(info);
          return info;
        },
        listSnapshots: async () => held,
      }) as unknown as Runtime;
    };
    const engines = new Map<string, ShipEngine>([
      [DEFAULT_SHIP, { runtime: snapshotting('here'), host: 'embedded', reach: () => Promise.reject(new Error('not asked')) }],
      ['east', { runtime: snapshotting('east'), host: 'east', reach: () => Promise.reject(new Error('not asked')) }],
    ]);
    const ships = new ShipsRuntime('embedded', engines, { db: 'east', app: DEFAULT_SHIP }, stack);
    await ships.createContainer(spec('db'));
    expect(await ships.snapshot('p', 'seed', ['p-db-1'])).toMatchObject({ services: ['db'] });
    expect(calls).toEqual(['east seed p-db-1']);
    expect((await ships.listSnapshots('p')).map((s) => s.name)).toEqual(['seed']);
    await expect(ships.saveSnapshot('p', 'seed', '/nonexistent/seed.tar')).rejects.toMatchObject({ name: 'SnapshotError', message: 'snapshot seed is held on ship east, an embedded ship: saving its snapshots is not done yet' });
  });

  it('lists a pending dependent as created and, put onto a snapshot (up --from-snapshot), resets it once made at its start', async () => {
    const calls: string[] = [];
    const here = Object.assign(recording(), {
      resetToSnapshot: async (_p: string, name: string, containers: string[]) => void calls.push(`reset ${name} ${containers.join(',')} made ${here.created.length}`),
      startContainer: async (name: string) => (calls.push(`start ${name}`), { name, state: 'running', addresses: {}, host: 'embedded' }),
    });
    const engines = new Map<string, ShipEngine>([
      [DEFAULT_SHIP, { runtime: here, host: 'embedded', reach: () => Promise.reject(new Error('not asked')) }],
      ['east', { runtime: recording(), host: 'east', reach: async () => ({ host: 'db.example', ports: [], extraHosts: {} }) }],
    ]);
    const ships = new ShipsRuntime('embedded', engines, { db: 'east', app: DEFAULT_SHIP }, stack);
    await ships.createContainer(spec('db'));
    await ships.createContainer(spec('app'));
    expect((await ships.listContainers({ [Label.project]: 'p' })).map((c) => [c.name, c.state])).toEqual([['p-app-1', 'created'], ['p-db-1', 'running']]);
    expect(await ships.listContainers({ [Label.service]: 'db' })).toHaveLength(1);
    await ships.resetToSnapshot('p', 'seed', ['p-app-1']);
    expect(calls).toEqual([]);
    await ships.startContainer('p-app-1');
    expect(calls).toEqual(['reset seed p-app-1 made 1', 'start p-app-1']);
  });
});
