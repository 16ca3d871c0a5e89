/**
 * `exec` on a Docker Swarm: a running task of the service (its slot `--index`, else the first
 * running one), its container found through the engine of the node it runs on (node-engines.ts).
 */
import type { Stack } from '../../config/model.js';
import { RuntimeError } from '../../errors.js';
import { scopedName } from '../../runtime/swarm/stack-names.js';
import type { SwarmTarget } from '../../runtime/swarm/swarm-target.js';
import { serviceTasks } from '../../runtime/swarm/swarm-tasks.js';
import { nodeEngines, unreachableNode, type NodeEngine } from './node-engines.js';

/** Where a command of `exec` goes: the container and its node's engine. */
export interface TaskContainer {
  /** `web.2`. */
  task: string;
  containerId: string;
  engine: NodeEngine;
}

/** The running task `index` of `service` (the first running one when that slot has none, for a global service), and its node's engine. */
export async function taskContainer(target: SwarmTarget, stack: Pick<Stack, 'name' | 'ships' | 'dir'>, service: string, index: number): Promise<TaskContainer> {
  const engines = await nodeEngines(target, stack);
  const tasks = (await serviceTasks(target.docker, scopedName(stack.name, service), service, engines.hostnames)).filter((t) => t.state === 'running' && t.desired === 'running' && t.containerId);
  if (tasks.length === 0) throw new RuntimeError(`service ${service}`, `has no running task on the swarm (\`stack -p ${stack.name} ps\` shows its tasks)`);
  const task = tasks.find((t) => t.name === `${service}.${index}`) ?? (index === 1 ? tasks.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))[0] : undefined);
  if (!task) throw new RuntimeError(`service ${service}`, `has no running task ${service}.${index} (running: ${tasks.map((t) => t.name).join(', ')})`);
  const nodeId = [...engines.hostnames].find(([, name]) => name === task.node)?.[0];
  const engine = nodeId === undefined ? undefined : engines.reachable.get(nodeId);
  if (!engine) throw new RuntimeError(`task ${task.name}`, `runs on ${unreachableNode(task.node)}${engines.notes.length ? ` (${engines.notes.join('; ')})` : ''}`);
  return { task: task.name, containerId: task.containerId!, engine };
}
