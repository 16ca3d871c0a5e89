/** Appends nodes to a plan in a topological order, numbering them from 1. */
import type { OperationKind, OperationPayloads, Plan, PlanNode } from './plan.js';

/** Collects nodes; every node may depend only on nodes added before it, so ids are a topological order. */
export class PlanBuilder {
  readonly nodes: PlanNode[] = [];

  /** Adds a node and returns its id; `dependsOn` may hold repeats and undefined (nothing to wait for). */
  add<K extends OperationKind>(
    operation: K,
    resource: string,
    payload: OperationPayloads[K],
    dependsOn: Iterable<number | undefined> = [],
    detail?: string,
  ): number {
    const id = this.nodes.length + 1;
    const deps = ascending(dependsOn);
    const node = { id, operation, resource, ...(detail ? { detail } : {}), dependsOn: deps, ...payload };
    this.nodes.push(node as unknown as PlanNode);
    return id;
  }

  /** The finished plan. */
  build(project: string, action: Plan['action'], orphans: string[] = []): Plan {
    return { project, action, nodes: this.nodes, orphans };
  }
}

/** The defined ids, each once, ascending. */
function ascending(ids: Iterable<number | undefined>): number[] {
  const out: number[] = [];
  for (const id of ids) if (id !== undefined) out.push(id);
  if (out.length < 2) return out;
  out.sort((a, b) => a - b);
  let kept = 1;
  for (let i = 1; i < out.length; i++) if (out[i] !== out[kept - 1]) out[kept++] = out[i]!;
  out.length = kept;
  return out;
}
