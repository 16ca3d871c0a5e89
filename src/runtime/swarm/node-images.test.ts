/** The ships: loading's decisions over stand-in engines (the loading itself runs on the lab: e2e/swarm-images.test.ts). */
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../errors.js';
import { deliverImage, nodesWithoutShip, type NodeEngine } from './node-images.js';

/** An engine that is swarm node `nodeId` and has the images `ids`. */
function engine(ship: string, nodeId: string, ids: string[]): NodeEngine {
  const docker = {
    info: async () => ({ Swarm: { NodeID: nodeId } }),
    getImage: (id: string) => ({ inspect: async () => (ids.includes(id) ? { Id: id } : Promise.reject(Object.assign(new Error('no such image'), { statusCode: 404 }))) }),
  };
  return { ship, docker: docker as unknown as Docker };
}

describe('nodesWithoutShip', () => {
  const manager = {
    listNodes: async () => [
      { ID: 'n1', Description: { Hostname: 'node-a' }, Status: { State: 'ready' } },
      { ID: 'n2', Description: { Hostname: 'node-b' }, Status: { State: 'ready' } },
      { ID: 'n3', Description: { Hostname: 'node-c' }, Status: { State: 'down' } },
    ],
  } as unknown as Docker;

  it('names the nodes (not down) that no ship\'s engine is', async () => {
    expect(await nodesWithoutShip(manager, [engine('a', 'n1', [])])).toEqual(['node-b']);
    expect(await nodesWithoutShip(manager, [engine('a', 'n1', []), engine('b', 'n2', [])])).toEqual([]);
  });

  it('names a ship whose engine does not answer', async () => {
    const dead = { ship: 'b', docker: { info: () => Promise.reject(new Error('connect ENOENT /run/b.sock')) } as unknown as Docker };
    await expect(nodesWithoutShip(manager, [engine('a', 'n1', []), dead])).rejects.toThrow(new RuntimeError('ship b', 'its engine does not answer: connect ENOENT /run/b.sock'));
  });
});

describe('deliverImage', () => {
  it('writes no archive when every engine has the image ID', async () => {
    const saved: string[] = [];
    const told: string[] = [];
    await deliverImage([engine('a', 'n1', ['sha256:1']), engine('b', 'n2', ['sha256:1'])], 'sha256:1', { file: '/nowhere.tar', save: async (f) => void saved.push(f) }, (n) => told.push(`${n.ship} ${n.outcome}`));
    expect(saved).toEqual([]);
    expect(told).toEqual(['a present', 'b present']);
  });
});
