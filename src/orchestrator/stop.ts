/** `stop` (and the end of an attached `up`): running containers stopped in reverse dependency order, nothing removed. */
import type { Millis, Stack } from '../config/model.js';
import { executePlan } from '../executor/execute.js';
import type { EventSink } from '../executor/events.js';
import { planDown } from '../planner/index.js';
import type { Plan, PlanNode } from '../planner/plan.js';
import type { Runtime } from '../runtime/runtime.js';
import { observeProject } from './observe.js';

/** The stop part of the down plan: its stop nodes, each still after the stops of its dependents. */
export function stopPlan(down: Plan): Plan {
  const stops = down.nodes.filter((n): n is PlanNode & { operation: 'stop-container' } => n.operation === 'stop-container');
  const ids = new Set(stops.map((n) => n.id));
  return { ...down, nodes: stops.map((n) => ({ ...n, dependsOn: n.dependsOn.filter((d) => ids.has(d)) })), orphans: [] };
}

/** Stops the running containers of `services` (all when empty); resolves to how many were stopped. */
export async function stopStack(
  stack: Stack,
  runtime: Runtime,
  options: { sink: EventSink; services?: readonly string[]; timeout?: Millis },
): Promise<number> {
  const observed = await observeProject(runtime, stack, { images: false });
  // A project named alone (`stack -p NAME stop`, no file) declares no services: its containers are
  // stopped as the orphans they are to the empty stack, picked by their service label.
  const nameOnly = Object.keys(stack.services).length === 0;
  const down = planDown(stack, observed, {
    ...(options.services?.length && !nameOnly ? { services: options.services } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(nameOnly ? { removeOrphans: true } : {}),
  });
  const picked = nameOnly && options.services?.length ? { ...down, nodes: down.nodes.filter((n) => 'service' in n && options.services!.includes(n.service as string)) } : down;
  const plan = stopPlan(picked);
  if (plan.nodes.length > 0) await executePlan(plan, { runtime, stack, sink: options.sink });
  return plan.nodes.length;
}
