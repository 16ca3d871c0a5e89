/**
 * Which services a command covers: the named ones and what they need (unless `--no-deps`), with
 * Compose's profiles: a service with `profiles` takes part only when one of them is enabled or it is
 * named on the command line.
 */
import type { Stack } from '../config/model.js';
import { didYouMean } from '../config/suggest.js';
import { UsageError } from '../errors.js';
import { buildGraph, type ServiceGraph } from './graph.js';

/** How to widen or narrow a selection. */
export interface SelectOptions {
  /** Only the named services, not what they depend on. */
  noDeps?: boolean;
  /** Enabled profiles (`--profile`); `*` enables them all. */
  profiles?: readonly string[];
}

/**
 * The selected service names, in start order (the graph's topological order). With no names, every
 * active service. Throws `UsageError` for an unknown name or a needed service whose profile is off.
 */
export function selectServices(
  stack: Stack,
  names: readonly string[] = [],
  options: SelectOptions = {},
  graph: ServiceGraph = buildGraph(stack),
): ReadonlySet<string> {
  assertServicesExist(stack, names);
  const named = new Set(names);
  const enabled = new Set(options.profiles ?? []);
  const active = (name: string): boolean => {
    const profiles = stack.services[name]!.profiles;
    return named.has(name) || profiles.length === 0 || enabled.has('*') || profiles.some((p) => enabled.has(p));
  };
  const roots = names.length > 0 ? [...named] : graph.nodes.filter(active);
  const chosen = new Set(roots);
  if (!options.noDeps) {
    const queue = [...roots];
    for (let i = 0; i < queue.length; i++) {
      for (const edge of graph.dependencies.get(queue[i]!)!) {
        if (chosen.has(edge.to)) continue;
        if (!active(edge.to)) {
          const optional = edge.kind === 'depends_on' && !stack.services[edge.from]!.depends_on[edge.to]!.required;
          if (optional) continue;
          throw new UsageError(profileMessage(edge.from, edge.to, stack.services[edge.to]!.profiles));
        }
        chosen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return new Set(graph.order.filter((name) => chosen.has(name)));
}

/** Throws `UsageError` for the first name that is not a service: `no such service: "wbe" (did you mean "web"?)`. */
export function assertServicesExist(stack: Stack, names: readonly string[]): void {
  for (const name of names) {
    if (stack.services[name]) continue;
    throw new UsageError(`no such service: "${name}"${didYouMean(name, Object.keys(stack.services))}`);
  }
}

function profileMessage(from: string, to: string, profiles: readonly string[]): string {
  const list = profiles.map((p) => `"${p}"`).join(', ');
  const which = profiles.length === 1 ? `profile ${list}` : `profiles ${list}`;
  return `service "${from}" needs "${to}", which is only in ${which}: enable it with --profile ${profiles[0]}`;
}
