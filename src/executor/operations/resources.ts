/** Network and volume operations, labelled with the project so `down` finds them again. */
import type { PlanNodeOf } from '../../planner/plan.js';
import { Label } from '../../runtime/runtime.js';
import type { OperationContext } from './context.js';

/** Creates a stack network (`<project>_<key>`). */
export async function createNetwork(node: PlanNodeOf<'create-network'>, ctx: OperationContext): Promise<void> {
  const net = ctx.stack.networks[node.network];
  await ctx.runtime.createNetwork({
    name: node.name,
    labels: { ...net?.labels, [Label.project]: ctx.stack.name },
    internal: net?.internal ?? false,
    ...(net?.subnet ? { subnet: net.subnet } : {}),
  });
}

/** Creates a stack volume (`<project>_<key>`). */
export async function createVolume(node: PlanNodeOf<'create-volume'>, ctx: OperationContext): Promise<void> {
  const vol = ctx.stack.volumes[node.volume];
  await ctx.runtime.createVolume({ name: node.name, labels: { ...vol?.labels, [Label.project]: ctx.stack.name } });
}

/** Removes a network by its runtime name. */
export async function removeNetwork(node: PlanNodeOf<'remove-network'>, ctx: OperationContext): Promise<void> {
  await ctx.runtime.removeNetwork(node.name);
}

/** Removes a volume by its runtime name. */
export async function removeVolume(node: PlanNodeOf<'remove-volume'>, ctx: OperationContext): Promise<void> {
  await ctx.runtime.removeVolume(node.name);
}
