/**
 * `up` on a Docker Swarm (issue 18). The swarm runtime deploys *services*, not containers, so it is
 * its own deployer rather than an implementation of the Runtime interface: the Runtime's verbs
 * (create/start/stop a container, wait for one) have no meaning when the cluster schedules tasks, and
 * an executor plan of containers would invent a placement the scheduler owns. What it keeps from the
 * other runtimes is the planner's dependency graph (src/planner/graph.ts, select.ts) as the order, the
 * `depends_on` conditions as gates, and the executor's events for the renderers.
 *
 * Each service is created the moment its dependencies pass their gates (tasks running: healthy when
 * they have a healthcheck, which Swarm reports as running only then; a one-shot's tasks complete
 * with exit 0), independent branches in parallel; `up` returns once every service converged and
 * fails at the first that does not, naming it, its tasks per node and the failed task's log tail.
 * Images built or imported here go to the nodes before anything is created (swarm-images.ts).
 */
import type Docker from 'dockerode';
import type { Millis, Service, Stack } from '../../config/model.js';
import { InterruptedError, UsageError } from '../../errors.js';
import { systemClock, type Clock } from '../../executor/clock.js';
import type { ErrorInfo, EventInput, EventSink } from '../../executor/events.js';
import { buildGraph } from '../../planner/graph.js';
import { selectServices } from '../../planner/select.js';
import { StackError } from '../../errors.js';
import { overlayNetworkSpec } from '../../runtime/swarm/network-spec.js';
import { swarmServiceSpec, type SwarmObjectRef } from '../../runtime/swarm/service-spec.js';
import { ensureFileObjects, retireFileObjects } from '../../runtime/swarm/swarm-objects.js';
import { createNetwork, ensureService, networkExists, projectServices, type ListedService, type ServiceChange } from '../../runtime/swarm/swarm-resources.js';
import type { TaskGoal } from '../../runtime/swarm/swarm-tasks.js';
import type { SwarmTarget } from '../../runtime/swarm/swarm-target.js';
import { waitConverged } from './converge.js';
import { explainMissingImage, prepareSwarmImages } from './swarm-images.js';

/** What `swarmUp` takes besides the stack. */
export interface SwarmUpOptions {
  target: SwarmTarget;
  sink: EventSink;
  services?: readonly string[];
  noDeps?: boolean;
  profiles?: readonly string[];
  /** Longest wait for one service to converge (default 2 minutes, as `--wait-timeout`). */
  waitTimeout?: Millis;
  signal?: AbortSignal;
  clock?: Clock;
  /** Between two looks at a service's tasks after its first 10 s (default 500 ms). */
  pollMs?: number;
  /** Between two looks in a service's first 10 s, when a health gate usually opens (default 100 ms). */
  fastPollMs?: number;
  /** How long `no suitable node` lasts before it fails the deploy (default 5 s). */
  stuckMs?: number;
  /** `up --build`: build the images of `build:` services even when hafen's store has them. */
  build?: boolean;
  /** `up --no-build`: a `build:` image hafen's store lacks is an error, not built. */
  noBuild?: boolean;
  /** A line for the user (a swarm node no `ships:` entry names). */
  say?: (line: string) => void;
}

/** What a swarm `up` did. */
export interface SwarmUpResult {
  /** Per service: created, updated or unchanged. */
  changes: Record<string, ServiceChange>;
  /** Networks this run made. */
  networks: string[];
  ms: number;
}

/** Deploys the selected services in dependency order; resolves when all converged. */
export async function swarmUp(stack: Stack, options: SwarmUpOptions): Promise<SwarmUpResult> {
  const clock = options.clock ?? systemClock;
  const { docker } = options.target;
  const emit = (e: EventInput) => options.sink({ ...e, time: clock.now() } as Parameters<EventSink>[0]);
  const started = clock.now();
  const graph = buildGraph(stack);
  const selected = [...selectServices(stack, options.services ?? [], { ...(options.noDeps ? { noDeps: true } : {}), ...(options.profiles ? { profiles: options.profiles } : {}) }, graph)];
  for (const name of selected) {
    const s = stack.services[name]!;
    if (!s.image && !s.build) throw new UsageError(`services.${name}: the swarm runtime deploys images; give it image: or build:`);
  }
  // A dependency that dependents wait on to finish is a one-shot: its goal is completion, not running.
  const oneShots = new Set(graph.edges.filter((e) => selected.includes(e.from) && e.condition === 'service_completed_successfully').map((e) => e.to));
  const networkKeys = [...new Set(selected.flatMap((s) => Object.keys(stack.services[s]!.networks)))].filter((k) => stack.networks[k]);
  const networkNames = Object.fromEntries(networkKeys.map((k) => [k, stack.networks[k]!.name]));
  emit({ kind: 'plan-start', project: stack.name, action: 'up', nodes: networkKeys.length + selected.length, names: selected });

  let id = 0;
  const made: string[] = [];
  const changes: Record<string, ServiceChange> = {};
  const fail = (opId: number, resource: string, err: unknown, service?: string) => {
    emit({ kind: 'op-failed', id: opId, operation: service ? 'wait-ready' : 'create-network', resource, ...(service ? { service, name: service } : {}), ms: 0, error: errorInfo(err) });
  };
  try {
    // Images built or imported here: to the nodes first (pushed, or loaded through ships:), named as the
    // services will name them; one refused (no way to the nodes, --no-build) leaves nothing made.
    const images = await prepareSwarmImages(stack, selected, { manager: docker, emit, ...(options.build ? { build: true } : {}), ...(options.noBuild ? { noBuild: true } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.say ? { say: options.say } : {}) });
    // Then what the services name, made together rather than one after the other (none needs another):
    // the networks, secrets and configs (content-named: a change is a new object), and what the project has.
    const used = (pick: (s: Service) => { source: string }[]) => [...new Set(selected.flatMap((s) => pick(stack.services[s]!).map((r) => r.source)))];
    const makeNetwork = async (key: string): Promise<void> => {
      const network = stack.networks[key]!;
      const opId = ++id;
      const resource = `network:${network.name}`;
      // An external network is the user's (a service naming a missing one fails to create, saying so); an existing one is kept.
      if (network.external || (await networkExists(docker, network.name))) return;
      emit({ kind: 'op-start', id: opId, operation: 'create-network', resource });
      const t0 = clock.now();
      try {
        await createNetwork(docker, overlayNetworkSpec(stack.name, key, network));
        made.push(network.name);
      } catch (err) {
        fail(opId, resource, err);
        throw err;
      }
      emit({ kind: 'op-done', id: opId, operation: 'create-network', resource, ms: clock.now() - t0 });
    };
    const [secrets, configs, existing] = await allSettledOrThrow([
      ensureFileObjects(docker, stack, 'secret', used((s) => s.secrets)),
      ensureFileObjects(docker, stack, 'config', used((s) => s.configs)),
      projectServices(docker, stack.name),
      Promise.all(networkKeys.map(makeNetwork)),
    ] as const);
    const objects = { secrets, configs };
    const abort = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
    const gates = new Map<string, Promise<void>>();
    const deploy = async (name: string): Promise<void> => {
      const service = stack.services[name]!;
      const deps = (graph.dependencies.get(name) ?? []).filter((e) => selected.includes(e.to));
      if (deps.length > 0) {
        emit({ kind: 'service-state', service: name, name, state: 'waiting', detail: `for ${deps.map((d) => d.to).join(', ')}` });
        await Promise.all(deps.map((d) => gates.get(d.to)));
      }
      signal.throwIfAborted();
      const opId = ++id;
      const resource = `service:${name}`;
      const goal: TaskGoal = oneShots.has(name) ? 'completed' : 'running';
      emit({ kind: 'op-start', id: opId, operation: 'create-container', resource, service: name, name });
      emit({ kind: 'service-state', service: name, name, state: 'creating' });
      const spec = specFor(stack, service, images[name] ?? service.image!, networkNames, objects, goal === 'completed');
      const { change, service: swarmService } = await ensureService(docker, spec, existing.get(spec.Name!)).catch((err: unknown) => {
        fail(opId, resource, err, name);
        throw err;
      });
      changes[name] = change;
      emit({ kind: 'op-done', id: opId, operation: 'create-container', resource, service: name, name, ms: 0 });
      emit({ kind: 'service-state', service: name, name, state: change === 'unchanged' ? 'created' : 'starting', detail: change });
      const waitId = ++id;
      const t0 = clock.now();
      emit({ kind: 'op-start', id: waitId, operation: goal === 'running' ? 'wait-ready' : 'wait-exit', resource, service: name, name });
      try {
        await waitConverged(
          { service: name, swarmName: spec.Name!, id: swarmService.ID, goal, since: sinceOf(change, swarmService) },
          {
            docker,
            clock,
            timeout: options.waitTimeout ?? 120_000,
            pollMs: options.pollMs ?? 500,
            fastPollMs: options.fastPollMs ?? 100,
            stuckMs: options.stuckMs ?? 5_000,
            signal,
            // `starting` was said once above: the count in between is `checking` (the plain renderer printed `starting` per count).
            onProgress: (done, desired) => {
              if (done === desired) emit({ kind: 'service-state', service: name, name, state: 'running', detail: `${done}/${desired} tasks ${goal}` });
              else if (done > 0) emit({ kind: 'service-state', service: name, name, state: 'checking', detail: `${done}/${desired} tasks ${goal}` });
            },
          },
        );
      } catch (caught) {
        const err = explainMissingImage(caught, images[name]);
        if (!signal.aborted) {
          emit({ kind: 'op-failed', id: waitId, operation: goal === 'running' ? 'wait-ready' : 'wait-exit', resource, service: name, name, ms: clock.now() - t0, error: errorInfo(err) });
          emit({ kind: 'service-state', service: name, name, state: 'failed' });
        }
        throw err;
      }
      emit({ kind: 'op-done', id: waitId, operation: goal === 'running' ? 'wait-ready' : 'wait-exit', resource, service: name, name, ms: clock.now() - t0 });
      if (goal === 'completed') emit({ kind: 'service-state', service: name, name, state: 'exited', exitCode: 0 });
      else emit({ kind: 'service-state', service: name, name, state: 'ready' });
    };
    for (const name of graph.order.filter((n) => selected.includes(n))) {
      const gate = deploy(name);
      gate.catch(() => abort.abort()); // the first failure stops the rest: no dependent is created after it
      gates.set(name, gate);
    }
    const results = await Promise.allSettled(gates.values());
    const first = firstFailure(results);
    if (first !== undefined) throw first;
    // Every service moved to the current objects: those of an earlier content go (one still in use by a service outside this run stays).
    const names = (r: Record<string, SwarmObjectRef>) => new Set(Object.values(r).map((o) => o.name));
    if (!options.services?.length) await retireFileObjects(docker, stack.name, { secret: names(objects.secrets), config: names(objects.configs) });
  } catch (caught) {
    // Interrupted: what was made stays (as on the other runtimes); said as an interrupt, not a bug.
    const err = options.signal?.aborted ? new InterruptedError() : caught;
    emit({ kind: 'plan-done', ok: false, ms: clock.now() - started, error: errorInfo(err) });
    throw err;
  }
  emit({ kind: 'plan-done', ok: true, ms: clock.now() - started });
  return { changes, networks: made, ms: clock.now() - started };
}

/**
 * From when a service's tasks are this deploy's: a new service's all (its tasks are made before the
 * allocator's own update of it); an updated one's from about its update (engine time); an unchanged
 * or only re-scaled one's are judged by each slot's newest task (empty: no time).
 */
function sinceOf(change: ServiceChange, s: ListedService): string {
  if (change === 'created') return s.CreatedAt ?? '';
  if (change === 'updated' && s.UpdatedAt) return new Date(Date.parse(s.UpdatedAt) - 1_000).toISOString();
  return '';
}

/**
 * Waits for every one of `tasks` (none is left running behind a failure, so nothing is made after
 * `up` returned); throws the first failure.
 */
async function allSettledOrThrow<T extends readonly unknown[]>(tasks: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** The first real failure: an abort that followed it says less. */
function firstFailure(results: PromiseSettledResult<void>[]): unknown {
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  return failed.find((e) => !(e instanceof Error && e.name === 'AbortError')) ?? failed[0];
}

/**
 * The Swarm spec of a service (service-spec.ts). A one-shot others wait for to complete runs as a
 * replicated service whose tasks are not restarted (unless its file says otherwise), not as a Swarm
 * job: on dockerd 20.10 a job's completed task outlives its removed service, and its exited container
 * stays on the node for good (measured on the lab), where `down` must leave nothing.
 */
function specFor(stack: Stack, service: Service, image: string, networks: Record<string, string>, objects: { secrets: Record<string, SwarmObjectRef>; configs: Record<string, SwarmObjectRef> }, oneShot: boolean): Docker.ServiceSpec {
  const spec = swarmServiceSpec(service, { project: stack.name, image, networks, volumes: stack.volumes, ...objects, job: false });
  const task = spec.TaskTemplate as Docker.ContainerTaskSpec;
  if (oneShot && !service.deploy?.restart_policy) task.RestartPolicy = { ...task.RestartPolicy, Condition: 'none' };
  return spec;
}

function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof StackError) {
    const r = err as StackError & { service?: string; check?: string; reason?: string; logTail?: readonly string[] };
    return { code: err.code, message: err.message, ...(r.service ? { service: r.service } : {}), ...(r.check ? { check: r.check } : {}), ...(r.reason ? { reason: r.reason } : {}), ...(r.logTail ? { logTail: [...r.logTail] } : {}) };
  }
  return { code: 'E_UNEXPECTED', message: err instanceof Error ? err.message : String(err) };
}
