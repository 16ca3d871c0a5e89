/**
 * The engines of a swarm's nodes that hafen can reach from here: the manager's own (DOCKER_HOST),
 * and each `ships:` entry whose engine says it is a node of the same swarm. A task's container is
 * only reachable through its node's engine (exec, a node's volumes); Swarm's API does not proxy
 * those calls, so a node no entry names is reported as unreachable, with what to add.
 */
import type Docker from 'dockerode';
import type { Stack } from '../../config/model.js';
import { connectEngine, engineAddress, type EngineAddress } from '../../runtime/docker/engine.js';
import type { SwarmTarget } from '../../runtime/swarm/swarm-target.js';
import { nodeNames } from '../../runtime/swarm/swarm-tasks.js';

/** One node's engine, reachable from here. */
export interface NodeEngine {
  nodeId: string;
  hostname: string;
  docker: Docker;
  /** The engine's address (for messages). */
  address: string;
  /** How to connect to it again (a DockerRuntime of the node: stats). */
  where: EngineAddress;
  /** The `ships:` entry that named it; undefined for the manager's own engine. */
  ship?: string;
}

/** The swarm's nodes: those whose engine answers, and the others with why not. */
export interface NodeEngines {
  reachable: Map<string, NodeEngine>;
  /** Node id → hostname, for every node the manager lists. */
  hostnames: Map<string, string>;
  /** Why a ship's engine was not taken (unreachable, another swarm), one line each. */
  notes: string[];
}

interface EngineInfo {
  Swarm?: { NodeID?: string };
}

/** Asks the manager for the nodes and each ship's engine which node it is (ships in parallel, 5 s each). */
export async function nodeEngines(target: SwarmTarget, stack: Pick<Stack, 'ships' | 'dir'>): Promise<NodeEngines> {
  const hostnames = await nodeNames(target.docker);
  const reachable = new Map<string, NodeEngine>();
  reachable.set(target.nodeId, { nodeId: target.nodeId, hostname: hostnames.get(target.nodeId) ?? target.nodeId, docker: target.docker, address: target.address, where: { docker: target.address } });
  const notes: string[] = [];
  await Promise.all(
    Object.values(stack.ships).map(async (ship) => {
      const where: EngineAddress = { docker: ship.docker, baseDir: stack.dir, ...(ship.tls ? { tls: ship.tls } : {}) };
      try {
        const docker = connectEngine(where);
        const info = (await withTimeout(docker.info() as Promise<EngineInfo>, 5_000)) as EngineInfo;
        const nodeId = info.Swarm?.NodeID ?? '';
        if (!hostnames.has(nodeId)) return void notes.push(`ship ${ship.name} (${ship.docker}) is not a node of this swarm`);
        if (!reachable.has(nodeId)) reachable.set(nodeId, { nodeId, hostname: hostnames.get(nodeId)!, docker, address: engineAddress(where), where, ship: ship.name });
      } catch (err) {
        notes.push(`ship ${ship.name} (${ship.docker}) does not answer: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  return { reachable, hostnames, notes };
}

/** What to tell about a node whose engine is not reachable: its name and what to add. */
export function unreachableNode(hostname: string): string {
  return `node ${hostname}'s engine is not reachable from here (Swarm does not pass container calls between nodes): name it under ships: (ships: {${hostname}: {docker: ssh://USER@${hostname}}}) or run this on that node`;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms).unref())]);
}
