/**
 * The dependency graph over a stack's services: who needs whom, through `depends_on`, `links` and
 * `volumes_from`, in a deterministic start order. A cycle is an error named by its path.
 */
import type { DependencyCondition, Stack } from '../config/model.js';
import { CycleError } from '../errors.js';
import { IndexHeap } from './min-heap.js';

/** Where a dependency is written. */
export type EdgeKind = 'depends_on' | 'links' | 'volumes_from';

/** `from` needs `to`: `to` is started (or healthy, or done) before `from` starts. */
export interface DependencyEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** Key path of the reference, e.g. `services.api.depends_on.db` or `services.api.links.0`. */
  path: string;
  /** What `from` waits for; `links` and `volumes_from` wait for `service_started`. */
  condition: DependencyCondition;
  /** `depends_on.<x>.restart`: restart `from` when `to` is recreated. */
  restart: boolean;
}

/** The services as a graph, with a start order. */
export interface ServiceGraph {
  /** Service names in file order. */
  nodes: readonly string[];
  /** One edge per (dependent, dependency) pair, the first written (depends_on, then links, then volumes_from). */
  edges: readonly DependencyEdge[];
  /** Every service after its dependencies; among services free to go, file order first. */
  order: readonly string[];
  /** A service's dependencies, in declaration order. */
  dependencies: ReadonlyMap<string, readonly DependencyEdge[]>;
  /** A service's dependents, in file order. */
  dependents: ReadonlyMap<string, readonly DependencyEdge[]>;
  /** A service's position in the file. */
  index: ReadonlyMap<string, number>;
}

/** Builds the graph and its order; throws `CycleError` naming the first cycle (`api -> worker -> api`). */
export function buildGraph(stack: Stack): ServiceGraph {
  const nodes = Object.keys(stack.services);
  const index = new Map<string, number>();
  nodes.forEach((name, i) => index.set(name, i));
  const dependencies = new Map<string, DependencyEdge[]>();
  const dependents = new Map<string, DependencyEdge[]>();
  for (const name of nodes) {
    dependencies.set(name, []);
    dependents.set(name, []);
  }
  const edges: DependencyEdge[] = [];
  // Which dependent last added an edge to a service: a second reference from the same one adds nothing.
  const lastFrom = new Map<string, number>();
  const add = (from: number, edge: DependencyEdge): void => {
    // A reference to no service is config's to report (or an optional dependency that is absent).
    if (!index.has(edge.to) || lastFrom.get(edge.to) === from) return;
    lastFrom.set(edge.to, from);
    dependencies.get(edge.from)!.push(edge);
    dependents.get(edge.to)!.push(edge);
    edges.push(edge);
  };
  for (let i = 0; i < nodes.length; i++) {
    const from = nodes[i]!;
    const service = stack.services[from]!;
    for (const to in service.depends_on) {
      const { condition, restart } = service.depends_on[to]!;
      add(i, { from, to, kind: 'depends_on', path: `services.${from}.depends_on.${to}`, condition, restart });
    }
    service.links.forEach((link, k) => {
      const path = `services.${from}.links.${k}`;
      add(i, { from, to: link.service, kind: 'links', path, condition: 'service_started', restart: false });
    });
    service.volumes_from.forEach((v, k) => {
      const path = `services.${from}.volumes_from.${k}`;
      add(i, { from, to: v.service, kind: 'volumes_from', path, condition: 'service_started', restart: false });
    });
  }
  const graph = { nodes, edges, order: [] as string[], dependencies, dependents, index };
  graph.order = topologicalOrder(graph);
  if (graph.order.length < nodes.length) throw cycleError(stack, graph);
  return graph;
}

/** Kahn's algorithm with a heap on file position; returns fewer names than nodes when there is a cycle. */
function topologicalOrder(graph: Omit<ServiceGraph, 'order'>): string[] {
  const { nodes, dependencies, dependents, index } = graph;
  const waiting = nodes.map((name) => dependencies.get(name)!.length);
  const ready = new IndexHeap();
  waiting.forEach((count, i) => count === 0 && ready.push(i));
  const order: string[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    const name = nodes[i]!;
    order.push(name);
    for (const edge of dependents.get(name)!) {
      const j = index.get(edge.from)!;
      if (--waiting[j]! === 0) ready.push(j);
    }
  }
  return order;
}

/** Names the cycle that starts at its first service in file order, following edges in declaration order. */
function cycleError(stack: Stack, graph: Omit<ServiceGraph, 'order'>): CycleError {
  const component = stronglyConnected(graph);
  const size = new Map<number, number>();
  for (const c of component) size.set(c, (size.get(c) ?? 0) + 1);
  const onCycle = (i: number): boolean => {
    const name = graph.nodes[i]!;
    return size.get(component[i]!)! > 1 || graph.dependencies.get(name)!.some((e) => e.to === name);
  };
  let start = 0;
  while (start < graph.nodes.length && !onCycle(start)) start++;
  const first = graph.nodes[start]!;
  const scc = component[start]!;
  // Depth-first from `first` inside its component, edges in declaration order, until an edge leads back.
  const path: string[] = [first];
  const cursor: number[] = [0];
  const visited = new Set<string>([first]);
  while (path.length > 0) {
    const at = path[path.length - 1]!;
    const out = graph.dependencies.get(at)!;
    const k = cursor[cursor.length - 1]!;
    if (k >= out.length) {
      path.pop();
      cursor.pop();
      continue;
    }
    cursor[cursor.length - 1] = k + 1;
    const edge = out[k]!;
    if (edge.to === first) {
      // The cycle is written where its first service names the second one.
      const opening = graph.dependencies.get(first)![cursor[0]! - 1]!;
      return new CycleError([...path, first], stack.source.locate(opening.path));
    }
    if (visited.has(edge.to) || component[graph.index.get(edge.to)!] !== scc) continue;
    visited.add(edge.to);
    path.push(edge.to);
    cursor.push(0);
  }
  /* c8 ignore next */
  throw new Error(`internal: no cycle found through ${first}`);
}

/** Tarjan's strongly connected components, iteratively; returns a component number per node index. */
function stronglyConnected(graph: Omit<ServiceGraph, 'order'>): number[] {
  const n = graph.nodes.length;
  const low = new Array<number>(n).fill(-1);
  const num = new Array<number>(n).fill(-1);
  const component = new Array<number>(n).fill(-1);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;
  const targets = (v: number): number[] => graph.dependencies.get(graph.nodes[v]!)!.map((e) => graph.index.get(e.to)!);
  for (let root = 0; root < n; root++) {
    if (num[root] !== -1) continue;
    const work: Array<{ v: number; out: number[]; k: number }> = [];
    const open = (v: number): void => {
      num[v] = low[v] = counter++;
      stack.push(v);
      onStack[v] = true;
      work.push({ v, out: targets(v), k: 0 });
    };
    open(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.k < frame.out.length) {
        const w = frame.out[frame.k++]!;
        if (num[w] === -1) open(w);
        else if (onStack[w]) low[frame.v] = Math.min(low[frame.v]!, num[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent.v] = Math.min(low[parent.v]!, low[frame.v]!);
      if (low[frame.v] === num[frame.v]) {
        for (;;) {
          const w = stack.pop()!;
          onStack[w] = false;
          component[w] = components;
          if (w === frame.v) break;
        }
        components++;
      }
    }
  }
  return component;
}
