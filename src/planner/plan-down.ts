/**
 * `down`: the up plan's reverse. Dependents stop before what they depend on (Compose's order: a
 * dependent may use its dependencies while it shuts down), except a dependent killed outright (no
 * grace), which cannot; each container is removed after it stops, and a network (or volume, or
 * image) goes after every container using it.
 */
import type { Millis, Stack } from '../config/model.js';
import { buildGraph } from './graph.js';
import { containerName } from './instances.js';
import { emptyObservedState, type ObservedContainer, type ObservedState } from './observed.js';
import type { ContainerRef, Plan } from './plan.js';
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
import { assertServicesExist } from './select.js';

/** Choices `stack down` offers. */
export interface DownOptions {
  /** Also remove named volumes and containers' anonymous volumes (`-v`). */
  volumes?: boolean;
  /** Also stop and remove containers whose service left the file. */
  removeOrphans?: boolean;
  /** Only these services' containers (networks and volumes stay); none means the whole project. */
  services?: readonly string[];
  /** Also remove images: `local` the built ones, `all` every image the services use (`--rmi`). */
  images?: 'local' | 'all';
  /** Stop grace period for every container, instead of each service's `stop_grace_period` (`-t`). */
  timeout?: Millis;
  /**
   * A network goes once every container on it has stopped, beside their removals, instead of after
   * them (issue 16: a bridge's removal is the slowest step of an embedded `down`). For runtimes that
   * release a container's network when it stops (the embedded one does).
   */
  networksAfterStops?: boolean;
}

/**
 * Whether a stop ends the container at once, with no time to shut down: SIGKILL as its signal, or
 * a grace period of 0 (`down -t 0`, `stop_grace_period: 0s`; the runtime kills it right after the signal).
 */
function graceless(stop: { gracePeriod?: Millis | undefined; signal: string }): boolean {
  return stop.gracePeriod === 0 || /^(SIG)?KILL$|^9$/i.test(stop.signal);
}

/** Docker's stop grace period, for containers the stack no longer describes. */
const DEFAULT_GRACE: Millis = 10_000;

/** A container to take down, with what it holds on to. */
interface Doomed {
  ref: ContainerRef;
  running: boolean;
  networks: readonly string[];
  volumes: readonly string[];
  image?: string;
}

/**
 * The plan that takes the project down. With an observed snapshot, only what exists; without one
 * (`known: false`), everything the stack declares, so `stack plan --down` shows the whole of it.
 */
export function planDown(
  stack: Stack,
  observed: ObservedState = emptyObservedState(),
  options: DownOptions = {},
): Plan {
  const graph = buildGraph(stack);
  const named = options.services ?? [];
  assertServicesExist(stack, named);
  const targets = new Set(named.length > 0 ? named : graph.nodes);
  const doomed = observed.known ? observedTargets(stack, observed, targets) : declaredTargets(stack, targets);
  const b = new PlanBuilder();
  const removals: Array<{ id: number; doomed: Doomed; stopId?: number | undefined }> = [];

  const stopIds = new Map<string, number[]>();
  const gracelessServices = new Set<string>();
  for (let i = graph.order.length - 1; i >= 0; i--) {
    const name = graph.order[i]!;
    if (!targets.has(name)) continue;
    const service = stack.services[name]!;
    const stop = { gracePeriod: options.timeout ?? service.stop_grace_period, signal: service.stop_signal ?? 'SIGTERM' };
    if (graceless(stop)) gracelessServices.add(name);
    // A dependent's stop comes first when it may still use this service while it ends (Compose's
    // order). One killed outright (no grace) cannot: this one is signalled beside it (issue 16).
    const after = graph.dependents.get(name)!.filter((e) => !gracelessServices.has(e.from)).flatMap((e) => stopIds.get(e.from) ?? []);
    const stops: number[] = [];
    for (const d of doomed.get(name) ?? []) {
      const res = resource.container(d.ref.container);
      const stopId = d.running ? b.add('stop-container', res, { ...d.ref, ...stop }, after) : undefined;
      if (stopId !== undefined) stops.push(stopId);
      const id = b.add('remove-container', res, { ...d.ref, anonymousVolumes: options.volumes === true }, [stopId]);
      removals.push({ id, doomed: d, stopId });
    }
    stopIds.set(name, stops);
  }

  const orphans = observed.containers
    .filter((c) => c.project === stack.name && !stack.services[c.service])
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  if (options.removeOrphans) {
    for (const c of orphans) {
      const d = fromObserved(c);
      const res = resource.container(c.name);
      const stop = { gracePeriod: options.timeout ?? DEFAULT_GRACE, signal: 'SIGTERM' };
      const stopId = d.running ? b.add('stop-container', res, { ...d.ref, ...stop }, [], 'orphan') : undefined;
      const remove = { ...d.ref, anonymousVolumes: options.volumes === true };
      removals.push({ id: b.add('remove-container', res, remove, [stopId], 'orphan'), doomed: d, stopId });
    }
  }

  if (named.length === 0) {
    const users = (pick: (d: Doomed) => readonly string[], stopped = false): Map<string, number[]> => {
      const out = new Map<string, number[]>();
      for (const { id: removeId, doomed: d, stopId } of removals) {
        const id = stopped ? (stopId ?? removeId) : removeId;
        for (const key of pick(d)) {
          const ids = out.get(key);
          if (ids) ids.push(id);
          else out.set(key, [id]);
        }
      }
      return out;
    };
    const onNetwork = users((d) => d.networks, options.networksAfterStops === true);
    const networks = observed.known
      ? projectResources(stack, observed.networks)
      : networksUsed(stack, graph.nodes).map((k) => networkName(stack, k));
    for (const name of networks) {
      b.add('remove-network', resource.network(name), { name }, onNetwork.get(name));
    }
    if (options.volumes) {
      const onVolume = users((d) => d.volumes);
      const volumes = observed.known
        ? projectResources(stack, observed.volumes)
        : volumesUsed(stack, graph.nodes).map((k) => volumeName(stack, k));
      for (const name of volumes) {
        b.add('remove-volume', resource.volume(name), { name }, onVolume.get(name));
      }
    }
    if (options.images) {
      const onImage = users((d) => (d.image ? [d.image] : []));
      const present = new Set(observed.images);
      for (const image of imagesToRemove(stack, options.images)) {
        if (observed.known && !present.has(image)) continue;
        b.add('remove-image', resource.image(image), { image }, onImage.get(image));
      }
    }
  }
  return b.build(stack.name, 'down', orphans.map((c) => c.name));
}

/** Every instance the stack declares for the target services, as if all were running. */
function declaredTargets(stack: Stack, targets: ReadonlySet<string>): Map<string, Doomed[]> {
  const out = new Map<string, Doomed[]>();
  for (const name of targets) {
    const service = stack.services[name]!;
    const networks = serviceNetworks(service).map((k) => networkName(stack, k));
    const volumes = serviceVolumes(stack, service).map((k) => volumeName(stack, k));
    const image = imageSource(stack, service).ref;
    const list: Doomed[] = [];
    for (let n = 1; n <= service.replicas; n++) {
      const ref = { service: name, number: n, container: containerName(stack.name, name, n) };
      list.push({ ref, running: true, networks, volumes, image });
    }
    out.set(name, list);
  }
  return out;
}

/** The project's observed containers of the target services, by service, in instance order. */
function observedTargets(stack: Stack, observed: ObservedState, targets: ReadonlySet<string>): Map<string, Doomed[]> {
  const out = new Map<string, Doomed[]>();
  for (const c of observed.containers) {
    if (c.project !== stack.name || !targets.has(c.service)) continue;
    const list = out.get(c.service);
    if (list) list.push(fromObserved(c));
    else out.set(c.service, [fromObserved(c)]);
  }
  for (const list of out.values()) list.sort((x, y) => x.ref.number - y.ref.number);
  return out;
}

/** An observed container as something to take down. */
function fromObserved(c: ObservedContainer): Doomed {
  const ref = { service: c.service, number: c.number, container: c.name };
  return { ref, running: c.state === 'running', networks: c.networks, volumes: c.volumes, image: c.image };
}

/** Runtime names of the project's networks or volumes in a snapshot. */
function projectResources(stack: Stack, list: ReadonlyArray<{ name: string; project: string }>): string[] {
  return list.filter((r) => r.project === stack.name).map((r) => r.name);
}

/** Images `--rmi local|all` removes, each once, in file order of the services using them. */
function imagesToRemove(stack: Stack, which: 'local' | 'all'): string[] {
  const out = new Set<string>();
  for (const service of Object.values(stack.services)) {
    const source = imageSource(stack, service);
    if (source.kind === 'build' || (which === 'all' && source.kind !== 'builtin')) out.add(source.ref);
  }
  return [...out];
}
