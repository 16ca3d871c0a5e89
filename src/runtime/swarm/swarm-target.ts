/**
 * The Swarm a stack is deployed to: the engine of one of its managers (a `ships:` entry marked
 * `manager: true`, else DOCKER_HOST, as `docker stack deploy` uses it). Anything else is refused before anything is made: an engine outside a
 * swarm, or a worker (which may not create services), each with what to run instead.
 */
import type Docker from 'dockerode';
import type { Stack } from '../../config/model.js';
import { UsageError } from '../../errors.js';
import { connectEngine, engineAddress, type EngineAddress } from '../docker/engine.js';

/** A swarm manager's engine. */
export interface SwarmTarget {
  readonly docker: Docker;
  /** The engine's address as the user gave it (for messages). */
  readonly address: string;
  /** The manager's node id. */
  readonly nodeId: string;
}

interface SwarmInfo {
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; RemoteManagers?: { Addr: string }[] | null };
}

/** Why an engine cannot take a swarm deploy, in one line with what to do; undefined when it is a manager. */
export function notAManager(address: string, info: SwarmInfo): string | undefined {
  const swarm = info.Swarm ?? {};
  const state = swarm.LocalNodeState ?? 'inactive';
  if (state === 'active' && swarm.ControlAvailable) return undefined;
  if (state === 'active') {
    const managers = (swarm.RemoteManagers ?? []).map((m) => m.Addr).join(', ');
    return `--runtime swarm: the Docker engine at ${address} is a swarm worker, not a manager; set DOCKER_HOST to a manager's engine${managers ? ` (managers: ${managers})` : ''}`;
  }
  return `--runtime swarm: the Docker engine at ${address} is not a swarm manager (swarm: ${state}); run \`docker swarm init\` there, or set DOCKER_HOST to a swarm manager's engine`;
}


/** Connects to the manager at `where` (default DOCKER_HOST); throws UsageError (exit 2) when it is not one. */
export async function openSwarmTarget(where: EngineAddress = {}): Promise<SwarmTarget> {
  const address = engineAddress(where);
  const docker = connectEngine(where);
  const info = (await docker.info()) as SwarmInfo;
  const why = notAManager(address, info);
  if (why) throw new UsageError(why);
  return { docker, address, nodeId: info.Swarm?.NodeID ?? '' };
}
