/**
 * `reconcile`: the up plan that takes what exists (one observed snapshot) to what the stack says, for
 * the selected services. Pure: the same inputs give the same plan, node for node.
 */
import type { Stack } from '../config/model.js';
import { namespaceServices } from '../config/process-keys.js';
import { ConfigError } from '../errors.js';
import { configHash } from './config-hash.js';
import { buildGraph, type DependencyEdge, type ServiceGraph } from './graph.js';
import { containerName } from './instances.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { assertNever, type ContainerRef, type Plan } from './plan.js';
import { hasChecks, hasHealthcheck, mayHaveImageHealthcheck } from './checks.js';
import { planImages } from './plan-images.js';
import { PlanBuilder } from './plan-builder.js';
import {
  imageSource,
  networkName,
  networksUsed,
  resource,
  serviceNetworks,
  serviceVolumes,
  volumeName,
  volumesUsed,
} from './resources.js';

/** Choices `up` offers on top of the stack file. */
export interface ReconcileOptions {
  /** Recreate every selected container, changed or not (`--force-recreate`). */
  forceRecreate?: boolean;
  /** Stop and remove the project's containers whose service left the file (`--remove-orphans`). */
  removeOrphans?: boolean;
  /** Build images even when present (`--build`). */
  build?: boolean;
  /** Start exited containers even when they finished by themselves (`stack start`). */
  startFinished?: boolean;
  /** The stack's graph, when the caller has it already. */
  graph?: ServiceGraph;
  // Compose's `up` flags (issue 14).
  /** Keep existing containers even when their configuration or image changed (`--no-recreate`). */
  noRecreate?: boolean;
  /** Create what is missing, start nothing (`--no-start`). */
  noStart?: boolean;
  /** Never build; a missing image of a `build:` service is an error (`--no-build`). */
  noBuild?: boolean;
  /** Grace period of the stops a recreate does, instead of each service's own (`up -t`). */
  timeout?: number;
}

/** Docker's stop grace period, for containers the stack no longer describes. */
const DEFAULT_GRACE = 10_000;

/** What happens to one wanted instance. */
type InstanceAction = 'create' | 'recreate' | 'start' | 'restart' | 'keep';

/** The up plan for the services in `selection` (as `selectServices` returns them), planned in start order. */
export function reconcile(
  stack: Stack,
  selection: ReadonlySet<string>,
  observed: ObservedState,
  options: ReconcileOptions = {},
): Plan {
  const graph = options.graph ?? buildGraph(stack);
  const b = new PlanBuilder();
  const containers = observedByService(stack.name, observed.containers);

  const presentNetworks = new Set(observed.networks.filter((n) => n.project === stack.name).map((n) => n.name));
  const networkIds = new Map<string, number>();
  for (const key of networksUsed(stack, selection)) {
    const name = networkName(stack, key);
    if (presentNetworks.has(name)) continue;
    networkIds.set(key, b.add('create-network', resource.network(name), { network: key, name }));
  }
  const presentVolumes = new Set(observed.volumes.filter((v) => v.project === stack.name).map((v) => v.name));
  const volumeIds = new Map<string, number>();
  for (const key of volumesUsed(stack, selection)) {
    const name = volumeName(stack, key);
    if (presentVolumes.has(name)) continue;
    volumeIds.set(key, b.add('create-volume', resource.volume(name), { volume: key, name }));
  }

  const order = graph.order.filter((name) => selection.has(name));
  const imageIds = planImages(b, stack, order, observed.images, options.build === true, options.noBuild === true);

  // Services another selected one waits on to finish get a wait-exit node.
  const awaitedExit = new Set<string>();
  for (const name of selection) {
    for (const edge of graph.dependencies.get(name)!) {
      if (edge.condition === 'service_completed_successfully' && selection.has(edge.to)) awaitedExit.add(edge.to);
    }
  }
  // Services awaited healthy with no check of their own wait on their image's HEALTHCHECK, as in Compose.
  const awaitedImageHealth = new Set<string>();
  for (const name of selection) {
    for (const edge of graph.dependencies.get(name)!) {
      const target = stack.services[edge.to];
      if (edge.condition === 'service_healthy' && target && !hasChecks(target) && mayHaveImageHealthcheck(target)) awaitedImageHealth.add(edge.to);
    }
  }

  const createIds = new Map<string, number[]>();
  const startIds = new Map<string, number[]>();
  const readyIds = new Map<string, number>();
  const exitIds = new Map<string, number>();
  const recreated = new Set<string>();

  const gate = (edge: DependencyEdge): Array<number | undefined> => {
    switch (edge.condition) {
      case 'service_started':
        return startIds.get(edge.to) ?? [];
      case 'service_healthy':
        if (!hasChecks(stack.services[edge.to]!) && !mayHaveImageHealthcheck(stack.services[edge.to]!)) {
          throw new ConfigError([
            {
              location: stack.source.locate(edge.path),
              message: `"${edge.to}" has no healthcheck or ready check, so it can never be healthy`,
            },
          ]);
        }
        return [readyIds.get(edge.to)];
      case 'service_completed_successfully':
        return [exitIds.get(edge.to)];
      default:
        return assertNever(edge.condition);
    }
  };

  for (const name of order) {
    const service = stack.services[name]!;
    const hash = configHash(service, stack);
    const image = imageSource(stack, service).ref;
    const imageId = imageIds.get(image);
    const edges = graph.dependencies.get(name)!.filter((e) => selection.has(e.to));
    const gates = edges.flatMap(gate);
    const infra = [
      ...serviceNetworks(service).map((key) => networkIds.get(key)),
      ...serviceVolumes(stack, service).map((key) => volumeIds.get(key)),
      imageId,
      // A container can only borrow the volumes of one that exists.
      ...service.volumes_from.flatMap((v) => createIds.get(v.service) ?? []),
      // Nor share the IPC or PID namespace of one that does not (Docker resolves it at create).
      ...namespaceServices(service).flatMap((n) => createIds.get(n.service) ?? []),
    ];
    const restartForDependency = !options.noStart && edges.some((e) => e.restart && recreated.has(e.to));
    const existing = containers.get(name) ?? new Map<number, ObservedContainer>();
    const stop = { gracePeriod: options.timeout ?? service.stop_grace_period, signal: service.stop_signal ?? 'SIGTERM' };

    const creates: number[] = [];
    const toStart: Array<{ ref: ContainerRef; after: Array<number | undefined> }> = [];
    for (let n = 1; n <= service.replicas; n++) {
      const ref: ContainerRef = { service: name, number: n, container: containerName(stack.name, name, n) };
      const res = resource.container(ref.container);
      const current = existing.get(n);
      const imageChanged = current?.imageId !== undefined && observed.imageIds?.[image] !== undefined && current.imageId !== observed.imageIds[image];
      const changed = options.noRecreate ? undefined : { forceRecreate: options.forceRecreate === true || imageChanged };
      const action = decide(current, hash, changed, restartForDependency, service.restart.policy !== 'no' || options.startFinished === true);
      switch (action) {
        case 'create': {
          const id = b.add('create-container', res, { ...ref, image, configHash: hash }, infra);
          creates.push(id);
          toStart.push({ ref, after: [id] });
          break;
        }
        case 'recreate': {
          recreated.add(name);
          const running = current?.state === 'running';
          const stopId = running ? b.add('stop-container', res, { ...ref, ...stop }, [imageId], 'recreate') : undefined;
          const remove = { ...ref, anonymousVolumes: false };
          const removeId = b.add('remove-container', res, remove, [stopId, imageId], 'recreate');
          const id = b.add('create-container', res, { ...ref, image, configHash: hash }, [...infra, removeId]);
          creates.push(id);
          toStart.push({ ref, after: [id] });
          break;
        }
        case 'restart':
          toStart.push({ ref, after: [b.add('stop-container', res, { ...ref, ...stop }, [], 'restart')] });
          break;
        case 'start':
          toStart.push({ ref, after: [] });
          break;
        case 'keep':
          break;
        default:
          assertNever(action);
      }
    }
    createIds.set(name, creates);
    if (options.noStart) toStart.length = 0;
    const starts = toStart.map(({ ref, after }) =>
      b.add('start-container', resource.container(ref.container), ref, [...after, ...gates]),
    );
    startIds.set(name, starts);

    const excess = [...existing.values()].filter((c) => c.number > service.replicas);
    for (const c of excess.sort((x, y) => x.number - y.number)) removeContainer(b, c, stop, 'scale down');

    if (service.replicas > 0 && !options.noStart) {
      const names = Array.from({ length: service.replicas }, (_, i) => containerName(stack.name, name, i + 1));
      if (hasChecks(service) || awaitedImageHealth.has(name)) {
        const checks = { healthcheck: hasHealthcheck(service) || awaitedImageHealth.has(name), ready: service.ready !== undefined };
        const payload = { service: name, containers: names, ...checks };
        readyIds.set(name, b.add('wait-ready', resource.service(name), payload, starts, 'healthy'));
      }
      if (awaitedExit.has(name)) {
        const payload = { service: name, containers: names, exitCode: 0 as const };
        exitIds.set(name, b.add('wait-exit', resource.service(name), payload, starts, 'exit 0'));
      }
    }
  }

  const orphans = observed.containers
    .filter((c) => c.project === stack.name && !stack.services[c.service])
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  if (options.removeOrphans) {
    for (const c of orphans) removeContainer(b, c, { gracePeriod: DEFAULT_GRACE, signal: 'SIGTERM' }, 'orphan');
  }
  return b.build(stack.name, 'up', orphans.map((c) => c.name));
}

/** Compares one wanted instance with what exists; `recreate` undefined: never recreate (`--no-recreate`). */
function decide(
  current: ObservedContainer | undefined,
  hash: string,
  recreate: { forceRecreate: boolean } | undefined,
  restartForDependency: boolean,
  restarts: boolean,
): InstanceAction {
  if (!current) return 'create';
  if (recreate && (recreate.forceRecreate || current.configHash !== hash)) return 'recreate';
  // A one-shot that finished its work by itself (exit 0, no restart policy) has nothing left to do.
  if (current.state === 'exited' && current.exitCode === 0 && !current.stopRequested && !restarts) return 'keep';
  if (current.state !== 'running') return 'start';
  return restartForDependency ? 'restart' : 'keep';
}

/** Stops (if running) and removes an observed container that should not be there. */
function removeContainer(
  b: PlanBuilder,
  c: ObservedContainer,
  stop: { gracePeriod: number; signal: string },
  why: string,
): number {
  const ref: ContainerRef = { service: c.service, number: c.number, container: c.name };
  const res = resource.container(c.name);
  const stopId = c.state === 'running' ? b.add('stop-container', res, { ...ref, ...stop }, [], why) : undefined;
  return b.add('remove-container', res, { ...ref, anonymousVolumes: false }, [stopId], why);
}

/** The project's observed containers, by service and instance number. */
function observedByService(
  project: string,
  containers: readonly ObservedContainer[],
): Map<string, Map<number, ObservedContainer>> {
  const out = new Map<string, Map<number, ObservedContainer>>();
  for (const c of containers) {
    if (c.project !== project) continue;
    let byNumber = out.get(c.service);
    if (!byNumber) out.set(c.service, (byNumber = new Map()));
    byNumber.set(c.number, c);
  }
  return out;
}
