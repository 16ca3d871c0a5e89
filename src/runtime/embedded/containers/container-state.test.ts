import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../runtime.js';
import type { ContainerRecord } from './container-record.js';
import { containerInfo, observe, VANISHED_EXIT_CODE, type Probe } from './container-state.js';

const run = { pid: 100, startTime: '5', launcherPid: 99, launcherStartTime: '4', process: { command: ['x'], env: {}, cwd: '/', user: { uid: 0, gid: 0 }, capabilities: [], cgroups: [] } };

function record(fields: Partial<ContainerRecord>): ContainerRecord {
  return {
    version: 1,
    id: 'abc',
    name: 'shop-db-1',
    project: 'shop',
    spec: { labels: { 'io.hafen.project': 'shop' } } as unknown as ContainerSpec,
    image: { ref: 'busybox', hostBased: false, config: {} },
    binds: [],
    tmpfs: [],
    networks: [{ name: 'shop_default', owner: 'shop', bridge: 'hf-x', address: '10.89.0.2', prefix: 24, aliases: [] }],
    state: 'created',
    createdAt: '2024-01-01T00:00:00.000Z',
    ports: [{ target: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 4000 }],
    health: 'healthy',
    ...fields,
  };
}

function probe(status: string | undefined, alive: number[]): Probe {
  return { status: () => (status === undefined ? undefined : { text: status, writtenAt: '2024-01-01T00:01:00.000Z' }), alive: (pid) => alive.includes(pid) };
}

describe('observe', () => {
  it('reports a created container as created', () => {
    expect(observe(record({}), probe(undefined, []))).toEqual({ state: 'created', oomKilled: false });
  });
  it('reports running while init or the launcher lives', () => {
    const r = record({ state: 'running', run });
    expect(observe(r, probe(undefined, [100, 99])).state).toBe('running');
    expect(observe(r, probe(undefined, [99])).state).toBe('running');
  });
  it('reads the exit code and OOM kill from the status file', () => {
    const r = record({ state: 'running', run });
    expect(observe(r, probe('exited 3\n', []))).toEqual({ state: 'exited', exitCode: 3, oomKilled: false, finishedAt: '2024-01-01T00:01:00.000Z' });
    expect(observe(r, probe('signaled 9 oom\n', []))).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: true });
  });
  it('calls a container whose processes vanished without a status dead', () => {
    expect(observe(record({ state: 'running', run }), probe(undefined, []))).toEqual({ state: 'dead', exitCode: VANISHED_EXIT_CODE, oomKilled: false });
  });
  it('keeps what a settled record says', () => {
    const r = record({ state: 'exited', run, exit: { exitCode: 1, oomKilled: true }, finishedAt: 'then' });
    expect(observe(r, probe(undefined, [100]))).toEqual({ state: 'exited', exitCode: 1, oomKilled: true, finishedAt: 'then' });
  });
});

describe('containerInfo', () => {
  it('shows ports and health only while running, addresses always', () => {
    const running = containerInfo(record({ state: 'running', run }), { state: 'running', oomKilled: false });
    expect(running).toMatchObject({ state: 'running', health: 'healthy', ports: [{ hostPort: 4000 }], addresses: { shop_default: '10.89.0.2' }, host: 'embedded' });
    const exited = containerInfo(record({ state: 'running', run }), { state: 'exited', exitCode: 0, oomKilled: false, finishedAt: 'x' });
    expect(exited).toMatchObject({ state: 'exited', health: 'none', ports: [], exitCode: 0, finishedAt: 'x', addresses: { shop_default: '10.89.0.2' } });
  });
});
