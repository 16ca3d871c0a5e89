/**
 * `down -v` on a Docker Swarm: a named volume of the stack is a local volume on every node that ran
 * one of its tasks (Swarm makes it there, labelled with the stack), so it is removed through each
 * node's engine that is reachable (node-engines.ts); a node that is not is named, with what to add.
 */
import type { Stack } from '../../config/model.js';
import { engineMessage } from '../../runtime/docker/docker-errors.js';
import { STACK_NAMESPACE_LABEL } from '../../runtime/swarm/stack-names.js';
import type { SwarmTarget } from '../../runtime/swarm/swarm-target.js';
import { nodeEngines, unreachableNode } from './node-engines.js';

/** What `down -v` did on the nodes. */
export interface VolumesRemoved {
  /** `nodea: shop_data`. */
  removed: string[];
  /** One line per node whose volumes could not be looked at or removed. */
  problems: string[];
}

/** Removes the project's volumes (labelled with the stack, not external) on every reachable node; waits up to `timeoutMs` for a node to let go of one. */
export async function removeSwarmVolumes(target: SwarmTarget, stack: Pick<Stack, 'name' | 'ships' | 'dir'>, timeoutMs = 30_000): Promise<VolumesRemoved> {
  const engines = await nodeEngines(target, stack);
  const removed: string[] = [];
  const problems = [...engines.notes];
  for (const [nodeId, hostname] of engines.hostnames) if (!engines.reachable.has(nodeId)) problems.push(`volumes not removed: ${unreachableNode(hostname)}`);
  await Promise.all(
    [...engines.reachable.values()].map(async (node) => {
      try {
        const listed = (await node.docker.listVolumes({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack.name}`] } })) as { Volumes?: { Name: string }[] | null };
        for (const v of listed.Volumes ?? []) {
          // A task's container leaving its node a moment after its task is gone still holds the volume ("in use").
          for (const end = Date.now() + timeoutMs; ; ) {
            try {
              await node.docker.getVolume(v.Name).remove();
              removed.push(`${node.hostname}: ${v.Name}`);
              break;
            } catch (err) {
              if ((err as { statusCode?: number }).statusCode === 404) break;
              if (Date.now() > end) throw new Error(`volume ${v.Name}: ${engineMessage(err)}`);
              await new Promise((r) => setTimeout(r, 500));
            }
          }
        }
      } catch (err) {
        problems.push(`node ${node.hostname}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  return { removed: removed.sort(), problems };
}
