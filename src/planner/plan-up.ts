/** `up`: select the services, then reconcile them with what exists. */
import type { Stack } from '../config/model.js';
import { buildGraph } from './graph.js';
import { emptyObservedState, type ObservedState } from './observed.js';
import type { Plan } from './plan.js';
import { reconcile, type ReconcileOptions } from './reconcile.js';
import { selectServices, type SelectOptions } from './select.js';

/** Everything `stack up` / `stack plan` passes to the planner. */
export interface UpOptions extends SelectOptions, ReconcileOptions {
  /** Services named on the command line; none means every active service. */
  services?: readonly string[];
  /** What exists now; nothing if omitted. */
  observed?: ObservedState;
}

/** The plan that brings the selected services (and, unless `noDeps`, what they need) up. */
export function planUp(stack: Stack, options: UpOptions = {}): Plan {
  const graph = options.graph ?? buildGraph(stack);
  const selection = selectServices(stack, options.services ?? [], options, graph);
  return reconcile(stack, selection, options.observed ?? emptyObservedState(), { ...options, graph });
}
