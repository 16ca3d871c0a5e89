/** The planner's public API: pure functions from a `Stack` (and an observed snapshot) to a `Plan`. */
export { buildGraph, type DependencyEdge, type EdgeKind, type ServiceGraph } from './graph.js';
export { selectServices, assertServicesExist, type SelectOptions } from './select.js';
export { expandInstances, containerName, type Instance } from './instances.js';
export { configHash, canonicalJson } from './config-hash.js';
export { hasChecks, hasHealthcheck, mayHaveImageHealthcheck } from './checks.js';
export {
  emptyObservedState,
  type ObservedContainer,
  type ObservedContainerState,
  type ObservedResource,
  type ObservedState,
} from './observed.js';
export {
  assertNever,
  type ContainerRef,
  type OperationKind,
  type OperationPayloads,
  type Plan,
  type PlanNode,
  type PlanNodeBase,
  type PlanNodeOf,
} from './plan.js';
export { planUp, type UpOptions } from './plan-up.js';
export { planDown, type DownOptions } from './plan-down.js';
export { reconcile, type ReconcileOptions } from './reconcile.js';
export { imageSource, networkName, volumeName, type ImageSource } from './resources.js';
export { formatPlan, formatPlanDot, formatPlanJson, type PlanJson } from './format.js';
