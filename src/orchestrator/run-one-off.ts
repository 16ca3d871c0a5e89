/**
 * `stack run`: a one-off container of a service (its own name, labelled one-off so `up` and `ps`
 * leave it aside), after what the service needs is up: its networks, volumes, image and dependencies.
 */
import { randomBytes } from 'node:crypto';
import type { Stack } from '../config/model.js';
import { containerSpec } from '../executor/container-spec.js';
import { executePlan } from '../executor/execute.js';
import type { EventSink } from '../executor/events.js';
import { configHash, planUp } from '../planner/index.js';
import type { Plan } from '../planner/plan.js';
import { imageSource, resource } from '../planner/resources.js';
import { Label, type ContainerSpec, type Runtime } from '../runtime/runtime.js';
import { assertExternalsExist, plannedServices } from './check-external.js';
import { assertHostSources, makeBindSources } from './host-sources.js';
import { observeProject } from './observe.js';

export interface RunOptions {
  runtime: Runtime;
  sink: EventSink;
  command?: string[];
  env?: Record<string, string>;
  /** Do not bring up the service's dependencies. */
  noDeps?: boolean;
  signal?: AbortSignal;
  /** Told one line per host folder made for a bind mount. */
  say?: (line: string) => void;
  /** The state root: the host folders made are recorded there, for `down` to name. */
  root?: string;
  // Compose's `run` flags (cli-gaps).
  /** The container's name instead of `PROJECT-SERVICE-run-XXXXXX` (`--name`). */
  name?: string;
  /** Build the service's image even when present (`--build`). */
  build?: boolean;
  /** Remove the project's containers whose service left the file (`--remove-orphans`). */
  removeOrphans?: boolean;
  /** Changes to the one-off's spec the command line asks for (entrypoint, user, ports, mounts, …). */
  adjust?: (spec: ContainerSpec) => void;
}

/** The up plan of the service without the service's own containers: what it needs, and only that. */
export function needsPlan(plan: Plan, service: string, containers: readonly string[]): Plan {
  const own = new Set([resource.service(service), ...containers.map((c) => resource.container(c))]);
  const nodes = plan.nodes.filter((n) => !own.has(n.resource));
  const ids = new Set(nodes.map((n) => n.id));
  return { ...plan, nodes: nodes.map((n) => ({ ...n, dependsOn: n.dependsOn.filter((d) => ids.has(d)) })) };
}

/** Prepares and creates the one-off container; resolves to its name (not started yet). */
export async function createOneOff(stack: Stack, service: string, options: RunOptions): Promise<string> {
  const def = stack.services[service]!;
  const { runtime } = options;
  const observed = await observeProject(runtime, stack);
  const full = planUp(stack, {
    services: [service],
    observed,
    ...(options.noDeps ? { noDeps: true } : {}),
    ...(options.build ? { build: true } : {}),
    ...(options.removeOrphans ? { removeOrphans: true } : {}),
  });
  const replicas = Array.from({ length: def.replicas }, (_, i) => `${stack.name}-${service}-${i + 1}`);
  const needs = needsPlan(full, service, replicas);
  const involved = [service, ...plannedServices(full.nodes as readonly { operation: string; service?: string }[])];
  await assertExternalsExist(stack, runtime, involved);
  assertHostSources(stack, involved);
  await makeBindSources(stack, involved, options, runtime);
  if (needs.nodes.length > 0) await executePlan(needs, { runtime, stack, sink: options.sink, ...(options.signal ? { signal: options.signal } : {}) });
  const name = options.name ?? `${stack.name}-${service}-run-${randomBytes(3).toString('hex')}`;
  const spec = containerSpec(stack, def, { service, number: 1, container: name, image: imageSource(stack, def).ref, configHash: configHash(def, stack) });
  spec.labels[Label.oneOff] = 'true';
  spec.labels[Label.restart] = 'no';
  spec.hostname = name;
  spec.ports = []; // a one-off does not take the service's published ports (as compose run without --service-ports)
  if (options.command && options.command.length > 0) spec.command = options.command;
  Object.assign(spec.env, options.env);
  options.adjust?.(spec);
  await runtime.createContainer(spec);
  return name;
}
