/**
 * `up` as one function for the CLI and the library: observe the project, plan, execute; on a
 * failure with `rollback`, take down what this run made. Returns what changed, so a second `up`
 * can say it changed nothing.
 */
import type { Millis, Stack } from '../config/model.js';
import { executePlan } from '../executor/execute.js';
import type { EventSink } from '../executor/events.js';
import type { ObservedState } from '../planner/observed.js';
import { planDown, planUp } from '../planner/index.js';
import type { Plan } from '../planner/plan.js';
import type { Runtime } from '../runtime/runtime.js';
import { assertExternalsExist, plannedServices } from './check-external.js';
import { assertHostSources, makeBindSources } from './host-sources.js';
import { observeProject } from './observe.js';
import { traced } from '../trace.js';

export interface UpStackOptions {
  runtime: Runtime;
  sink: EventSink;
  services?: readonly string[];
  noDeps?: boolean;
  build?: boolean;
  forceRecreate?: boolean;
  removeOrphans?: boolean;
  profiles?: readonly string[];
  waitTimeout?: Millis;
  /** Start exited containers even when they finished by themselves (`stack start`). */
  startFinished?: boolean;
  /** On failure, stop and remove what this run created. */
  rollback?: boolean;
  signal?: AbortSignal;
  // Compose's `up` flags (issue 14); --scale and --pull change the stack first (planner/run-overrides.ts).
  /** Keep existing containers even when their configuration changed (`--no-recreate`). */
  noRecreate?: boolean;
  /** Create, start nothing (`--no-start`). */
  noStart?: boolean;
  /** Build nothing; a missing built image is an error (`--no-build`). */
  noBuild?: boolean;
  /** Grace period of the stops a recreate does (`-t`). */
  timeout?: Millis;
  /** Told one line per host folder this run makes for a bind mount (`created ./data for services.web.volumes[0]`). */
  say?: (line: string) => void;
  /** The state root: the host folders this run makes are recorded there, for `down` to name. */
  root?: string;
}

export interface UpStackResult {
  plan: Plan;
  /** Operations that changed something (waits do not count): 0 means it was up already. */
  changes: number;
  ms: number;
}

/** Operations that only look. */
const LOOKS = new Set(['wait-ready', 'wait-exit']);

/** Brings the stack's selected services up; rejects with the first failure (after a rollback if asked). */
export async function upStack(stack: Stack, options: UpStackOptions): Promise<UpStackResult> {
  const { runtime, sink } = options;
  let observed = await traced('observe', undefined, () => observeProject(runtime, stack));
  const choices = {
    ...(options.services ? { services: options.services } : {}),
    ...(options.noDeps ? { noDeps: true } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.forceRecreate ? { forceRecreate: true } : {}),
    ...(options.removeOrphans ? { removeOrphans: true } : {}),
    ...(options.startFinished ? { startFinished: true } : {}),
    ...(options.noRecreate ? { noRecreate: true } : {}),
    ...(options.noStart ? { noStart: true } : {}),
    ...(options.noBuild ? { noBuild: true } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  };
  let plan = planUp(stack, { observed, ...choices, ...(options.build ? { build: true } : {}) });
  const planned = plannedServices(plan.nodes as readonly { operation: string; service?: string }[]);
  await traced('check-externals', undefined, () => assertExternalsExist(stack, runtime, planned));
  // Refused before anything is made: an archive that never ends, a long-syntax bind with no source.
  assertHostSources(stack, planned);
  await makeBindSources(stack, planned, options, runtime);
  let changes = 0;
  const run = { runtime, stack, sink, ...(options.signal ? { signal: options.signal } : {}) };
  // An image rebuilt over a present one is built first; the containers made from the old one are
  // then recreated, because the planner sees their image ID changed.
  const rebuilds = plan.nodes.filter((n) => n.operation === 'build-image' && observed.images.includes(n.image));
  if (rebuilds.length > 0) {
    await executePlan({ ...plan, nodes: rebuilds.map((n) => ({ ...n, dependsOn: [] })), orphans: [] }, run);
    changes += rebuilds.length;
    observed = await observeProject(runtime, stack);
    plan = planUp(stack, { observed, ...choices });
  }
  changes += plan.nodes.filter((n) => !LOOKS.has(n.operation)).length;
  try {
    const { ms } = await executePlan(plan, { ...run, ...(options.waitTimeout !== undefined ? { waitTimeout: options.waitTimeout } : {}) });
    return { plan, changes, ms };
  } catch (err) {
    if (options.rollback) await rollback(stack, runtime, observed, sink);
    throw err;
  }
}

/** Stops and removes the containers, networks and volumes that did not exist before this run. */
async function rollback(stack: Stack, runtime: Runtime, before: ObservedState, sink: EventSink): Promise<void> {
  const now = await observeProject(runtime, stack);
  const had = (names: { name: string }[]) => new Set(names.map((n) => n.name));
  const [c, n, v] = [had(before.containers), had(before.networks), had(before.volumes)];
  const made: ObservedState = {
    known: true,
    containers: now.containers.filter((x) => !c.has(x.name)),
    networks: now.networks.filter((x) => !n.has(x.name)),
    volumes: now.volumes.filter((x) => !v.has(x.name)),
    images: [],
  };
  // Networks still used by containers that stay are kept by the runtime's own refusal; say nothing of them.
  const plan = planDown(stack, made, { volumes: true });
  await executePlan(plan, { runtime, stack, sink }).catch(() => {});
}
