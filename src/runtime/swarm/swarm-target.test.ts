import { describe, expect, it } from 'vitest';
import { notAManager } from './swarm-target.js';

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
