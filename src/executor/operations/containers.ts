/** Container operations: create (from the service's spec), start, stop, remove. */
import { RuntimeError } from '../../errors.js';
import type { ContainerRef, PlanNodeOf } from '../../planner/plan.js';
import { containerSpec } from '../container-spec.js';
import type { ServiceState } from '../events.js';
import { containerSubject } from '../names.js';
import { reportState, type OperationContext } from './context.js';

/** Creates the container from its service's definition. */
export async function createContainer(node: PlanNodeOf<'create-container'>, ctx: OperationContext): Promise<void> {
  const service = ctx.stack.services[node.service];
  if (!service) throw new RuntimeError(node.resource, `service ${node.service} is not in the stack`);
  await around(ctx, node, 'creating', 'created', () => ctx.runtime.createContainer(containerSpec(ctx.stack, service, node)));
}

/** Starts the container; readiness is a separate wait node. */
export async function startContainer(node: PlanNodeOf<'start-container'>, ctx: OperationContext): Promise<void> {
  await around(ctx, node, 'starting', 'running', () => ctx.runtime.startContainer(node.container));
}

/** Stops the container within its grace period (the runtime sends the container's stop signal). */
export async function stopContainer(node: PlanNodeOf<'stop-container'>, ctx: OperationContext): Promise<void> {
  await around(ctx, node, 'stopping', 'stopped', () => ctx.runtime.stopContainer(node.container, { timeout: node.gracePeriod }));
}

/** Removes the container (forced: it may have been restarted since it was stopped). */
export async function removeContainer(node: PlanNodeOf<'remove-container'>, ctx: OperationContext): Promise<void> {
  await around(ctx, node, 'removing', 'removed', () => ctx.runtime.removeContainer(node.container, { force: true }));
}

/** Reports `before`, runs `call`, then reports `after`, or `failed` with the reason. */
async function around(
  ctx: OperationContext,
  ref: ContainerRef,
  before: ServiceState,
  after: ServiceState,
  call: () => Promise<unknown>,
): Promise<void> {
  const subject = containerSubject(ctx.stack, ref);
  reportState(ctx, subject, before);
  try {
    await call();
  } catch (err) {
    reportState(ctx, subject, 'failed', { detail: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  reportState(ctx, subject, after);
}
