/** Image operations: build, pull, import, remove; build and pull progress become `op-progress` events. */
import { assertNever, type PlanNode, type PlanNodeOf } from '../../planner/plan.js';
import { Label, type BuildEvent } from '../../runtime/runtime.js';
import { buildRequest } from '../build-request.js';
import { opFields } from '../names.js';
import type { OperationContext } from './context.js';

/** Builds the service's image and tags it as the plan says. */
export async function buildImage(node: PlanNodeOf<'build-image'>, ctx: OperationContext): Promise<void> {
  const { build } = node;
  const progress = progressOf(node, ctx);
  await ctx.runtime.buildImage(
    buildRequest(ctx.stack, build, node.image, { labels: { [Label.project]: ctx.stack.name } }),
    (e) => {
      const text = buildLine(e);
      if (text !== undefined) progress(text);
    },
    ctx.signal,
  );
}

/** Pulls the image from its registry. */
export async function pullImage(node: PlanNodeOf<'pull-image'>, ctx: OperationContext): Promise<void> {
  await ctx.runtime.pullImage(node.image, progressOf(node, ctx), ctx.signal);
}

/** Imports a `docker-archive:PATH` or `oci:PATH` image: the runtime's pull takes these references as they are. */
export async function importImage(node: PlanNodeOf<'import-image'>, ctx: OperationContext): Promise<void> {
  await ctx.runtime.pullImage(node.image, progressOf(node, ctx), ctx.signal);
}

/** Removes an image by its reference. */
export async function removeImage(node: PlanNodeOf<'remove-image'>, ctx: OperationContext): Promise<void> {
  await ctx.runtime.removeImage(node.image);
}

/** A build event as one progress line; step ends say nothing new. */
function buildLine(e: BuildEvent): string | undefined {
  switch (e.kind) {
    case 'step-start':
      return `step ${e.index}/${e.total} ${e.text}${e.cached ? ' (cached)' : ''}`;
    case 'output':
      return e.line;
    case 'step-done':
      return undefined;
    default:
      return assertNever(e);
  }
}

function progressOf(node: PlanNode, ctx: OperationContext): (text: string) => void {
  const fields = opFields(ctx.stack, node);
  return (text) => ctx.emit({ kind: 'op-progress', ...fields, text });
}
