/** A stack's swarm manager by its ships (apart from swarm-target.ts, so finding it loads no engine client). */
import type { Stack } from '../../config/model.js';
import type { EngineAddress } from '../docker/engine.js';

/**
 * Where the stack's swarm manager is: the first ship marked `manager: true` (the file names the
 * swarm it is for, over the general DOCKER_HOST), else DOCKER_HOST; `where` for openSwarmTarget.
 */
export function swarmManagerAddress(stack: Pick<Stack, 'ships' | 'dir'>): EngineAddress {
  const ship = Object.values(stack.ships).find((s) => s.manager);
  return ship ? { docker: ship.docker, ...(ship.tls ? { tls: ship.tls } : {}), baseDir: stack.dir } : {};
}
