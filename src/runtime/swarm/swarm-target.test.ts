import { describe, expect, it } from 'vitest';
import { notAManager } from './swarm-target.js';
import { swarmManagerAddress } from './manager-address.js';

describe('notAManager', () => {
  it.each([
    [{ Swarm: { LocalNodeState: 'active', ControlAvailable: true } }, undefined],
    [{ Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } }, '--runtime swarm: the Docker engine at unix:///s is not a swarm manager (swarm: inactive); run `docker swarm init` there, or set DOCKER_HOST to a swarm manager\'s engine'],
    [{}, '--runtime swarm: the Docker engine at unix:///s is not a swarm manager (swarm: inactive); run `docker swarm init` there, or set DOCKER_HOST to a swarm manager\'s engine'],
    [{ Swarm: { LocalNodeState: 'active', ControlAvailable: false, RemoteManagers: [{ Addr: '10.0.0.1:2377' }] } }, '--runtime swarm: the Docker engine at unix:///s is a swarm worker, not a manager; set DOCKER_HOST to a manager\'s engine (managers: 10.0.0.1:2377)'],
  ])('%j', (info, expected) => {
    expect(notAManager('unix:///s', info)).toBe(expected);
  });
});

describe('swarmManagerAddress', () => {
  it('is the ship marked manager, else DOCKER_HOST (nothing given)', () => {
    const ships = { a: { name: 'a', docker: 'unix:///run/a.sock' }, b: { name: 'b', docker: 'tcp://10.0.0.2:2376', manager: true, tls: { verify: false } } };
    expect(swarmManagerAddress({ ships, dir: '/p' })).toEqual({ docker: 'tcp://10.0.0.2:2376', tls: { verify: false }, baseDir: '/p' });
    expect(swarmManagerAddress({ ships: { a: ships.a }, dir: '/p' })).toEqual({});
  });
});
