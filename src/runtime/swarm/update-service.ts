/**
 * Changing a running Swarm service and waiting for the swarm to finish: a new spec (at the
 * service's current version index, so a concurrent change fails instead of being lost), then
 * `UpdateStatus` followed until it is completed, paused, or rolled back, with Swarm's reason.
 * `scale` and a rolling `restart` (ForceUpdate + 1) go through the same call; `rollback` asks
 * the swarm for the previous spec.
 */
import type Docker from 'dockerode';
import { RuntimeError } from '../../errors.js';
import { systemClock, type Clock } from '../../executor/clock.js';

/** The calls this module makes on a swarm manager's engine (dockerode's, see `engineServiceApi`). */
export interface SwarmServiceApi {
  inspect(id: string): Promise<InspectedService>;
  /** POST /services/{id}/update?version=…[&rollback=previous] with `spec` as the body. */
  update(id: string, version: number, spec: Docker.ServiceSpec, rollback?: boolean): Promise<void>;
  /** The service's tasks the swarm wants running (desired-state running). */
  runningTasks(id: string): Promise<SwarmTask[]>;
  /** All the service's tasks, the failed and shut down ones too (to tell why an update rolled back). */
  allTasks(id: string): Promise<SwarmTask[]>;
}

/** What is read of an inspected service (dockerode's Service type is its class with methods). */
export interface InspectedService {
  ID: string;
  Version?: { Index?: number };
  Spec?: Docker.ServiceSpec;
  PreviousSpec?: Docker.ServiceSpec;
  UpdateStatus?: Docker.UpdateStatus;
}

/** What is read of a task (dockerode's Task type lacks its status). */
export interface SwarmTask {
  ID: string;
  NodeID?: string;
  CreatedAt?: string;
  Status?: { State?: string; Err?: string; Message?: string; ContainerStatus?: { ExitCode?: number } };
}

/** A dockerode client of a swarm manager as a SwarmServiceApi. */
export function engineServiceApi(docker: Docker): SwarmServiceApi {
  return {
    inspect: (id) => docker.getService(id).inspect() as Promise<InspectedService>,
    async update(id, version, spec, rollback) {
      // docker-modem sends `_query` as the query string and `_body` as the JSON body.
      await docker.getService(id).update({ _query: { version, ...(rollback ? { rollback: 'previous' } : {}) }, _body: spec });
    },
    runningTasks: (id) => docker.listTasks({ filters: { service: [id], 'desired-state': ['running'] } }) as Promise<SwarmTask[]>,
    allTasks: (id) => docker.listTasks({ filters: { service: [id] } }) as Promise<SwarmTask[]>,
  };
}

/** How an update ended. `message` is Swarm's own (`update paused due to failure or early termination of task …`). */
export type UpdateOutcome =
  | { state: 'unchanged' }
  | { state: 'completed' }
  | { state: 'rolled-back'; message: string }
  | { state: 'paused'; message: string };

/** How long to wait, how often to look, and who hears each status change. */
export interface UpdateWaitOptions {
  clock?: Clock;
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** Default 500 ms. */
  pollMs?: number;
  /** Told each new UpdateStatus (state and message) as the swarm reports it. */
  onStatus?: (status: Docker.UpdateStatus) => void;
  signal?: AbortSignal;
}

const DEFAULTS = { timeoutMs: 5 * 60_000, pollMs: 500 };

/**
 * Replaces the spec of service `id` with `change(current)` and waits until the swarm has rolled it
 * out (or paused, or rolled back). ForceUpdate is kept from the current spec unless `change` sets
 * it, so a redeploy does not restart tasks for nothing; an identical spec is `unchanged`.
 */
export async function updateService(api: SwarmServiceApi, id: string, change: (current: Docker.ServiceSpec) => Docker.ServiceSpec, opts: UpdateWaitOptions = {}): Promise<UpdateOutcome> {
  const current = await api.inspect(id);
  const spec = current.Spec ?? {};
  const next = change(structuredClone(spec));
  const task = next.TaskTemplate as Docker.ContainerTaskSpec | undefined;
  const force = (spec.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ForceUpdate;
  if (task && task.ForceUpdate === undefined && force !== undefined) task.ForceUpdate = force;
  if (sameJson(next, spec)) return { state: 'unchanged' };
  await api.update(id, versionOf(current, id), next);
  // Swarm rolls tasks only when what they run changed (the task template or the ports), as the
  // engine itself normalizes both specs; otherwise (replicas, labels, update_config) there is no
  // UpdateStatus to follow, only tasks to add or remove.
  const after = (await api.inspect(id)).Spec ?? {};
  if (sameJson(after.TaskTemplate, spec.TaskTemplate) && sameJson(after.EndpointSpec, spec.EndpointSpec)) {
    const replicas = after.Mode?.Replicated?.Replicas;
    if (replicas !== undefined) await waitConverged(api, id, replicas, opts);
    return { state: 'completed' };
  }
  return waitForUpdate(api, id, current.UpdateStatus, opts);
}

/** Asks the swarm to go back to the service's previous spec, and waits for that to finish. */
export async function rollbackService(api: SwarmServiceApi, id: string, opts: UpdateWaitOptions = {}): Promise<UpdateOutcome> {
  const current = await api.inspect(id);
  if (!current.PreviousSpec) throw new RuntimeError(`service ${nameOf(current, id)}`, 'has no previous spec to roll back to (it was never updated)');
  await api.update(id, versionOf(current, id), current.Spec ?? {}, true);
  return waitForUpdate(api, id, current.UpdateStatus, opts);
}

/** Sets a replicated service's replicas and waits until that many tasks run. */
export async function scaleService(api: SwarmServiceApi, id: string, replicas: number, opts: UpdateWaitOptions = {}): Promise<UpdateOutcome> {
  return updateService(
    api,
    id,
    (spec) => {
      if (!spec.Mode?.Replicated) throw new RuntimeError(`service ${spec.Name ?? id}`, 'is not replicated (global services and jobs have no replica count to scale)');
      return { ...spec, Mode: { Replicated: { Replicas: replicas } } };
    },
    opts,
  );
}

/** A rolling restart: every task replaced by a new one, as the update_config orders it (ForceUpdate + 1). */
export async function restartService(api: SwarmServiceApi, id: string, opts: UpdateWaitOptions = {}): Promise<UpdateOutcome> {
  return updateService(
    api,
    id,
    (spec) => {
      const task = (spec.TaskTemplate ?? {}) as Docker.ContainerTaskSpec;
      return { ...spec, TaskTemplate: { ...task, ForceUpdate: (task.ForceUpdate ?? 0) + 1 } };
    },
    opts,
  );
}

/** Follows UpdateStatus until the update that started after `before` ends. */
async function waitForUpdate(api: SwarmServiceApi, id: string, before: Docker.UpdateStatus | undefined, opts: UpdateWaitOptions): Promise<UpdateOutcome> {
  const { clock = systemClock, timeoutMs = DEFAULTS.timeoutMs, pollMs = DEFAULTS.pollMs } = opts;
  const end = clock.now() + timeoutMs;
  let seen = statusKey(before);
  // The reason an update failed is said while it rolls back; the end state says only "rollback completed".
  let reason: string | undefined;
  for (;;) {
    const service = await api.inspect(id);
    const status = service.UpdateStatus;
    const key = statusKey(status);
    // An UpdateStatus from before our call (same start, same state) is not ours yet.
    if (status && key !== seen && status.StartedAt !== undefined && (status.StartedAt !== before?.StartedAt || status.State !== before?.State)) {
      seen = key;
      opts.onStatus?.(status);
      if (status.State === 'rollback_started' && status.Message) reason = status.Message;
      switch (status.State) {
        case 'completed':
          return { state: 'completed' };
        case 'rollback_completed':
          return { state: 'rolled-back', message: await rollbackReason(api, id, status, reason) };
        case 'paused':
        case 'rollback_paused':
          return { state: 'paused', message: status.Message ?? status.State };
        default:
          break;
      }
    }
    if (clock.now() >= end) {
      throw new RuntimeError(`service ${nameOf(service, id)}`, `update not finished after ${Math.round(timeoutMs / 1000)} s (${status?.State ?? 'no update status'}${status?.Message ? `: ${status.Message}` : ''})`);
    }
    await clock.sleep(pollMs, opts.signal);
  }
}

/**
 * Why an update rolled back: Swarm says it (`update rolled back due to failure or early termination of
 * task X`) only in the short rollback_started state, which a poll on a loaded machine can miss; then
 * the task is found among the service's tasks (the newest one that failed since the update started).
 * Either way the task's own error is added (`…task X: failed: task: non-zero exit (137): …`).
 */
async function rollbackReason(api: SwarmServiceApi, id: string, status: Docker.UpdateStatus, said: string | undefined): Promise<string> {
  const tasks = await api.allTasks(id).catch(() => [] as SwarmTask[]);
  const named = said ? /task (\S+)$/.exec(said)?.[1] : undefined;
  const since = Date.parse(status.StartedAt ?? '');
  const failed = named
    ? tasks.find((t) => t.ID === named)
    : tasks
        .filter((t) => ['failed', 'rejected'].includes(t.Status?.State ?? '') && !(Date.parse(t.CreatedAt ?? '') < since))
        .sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''))[0];
  const message = said ?? (failed ? `update rolled back due to failure or early termination of task ${failed.ID}` : (status.Message ?? 'rolled back'));
  if (!failed?.Status) return message;
  const { State, Err, ContainerStatus } = failed.Status;
  const exit = ContainerStatus?.ExitCode ? `exit code ${ContainerStatus.ExitCode}` : undefined;
  const why = Err ?? exit;
  return `${message}: ${State ?? 'failed'}${why ? `: ${why}` : ''}`;
}

/** Waits until `replicas` tasks of the service are running (and none more are wanted). */
async function waitConverged(api: SwarmServiceApi, id: string, replicas: number, opts: UpdateWaitOptions): Promise<void> {
  const { clock = systemClock, timeoutMs = DEFAULTS.timeoutMs, pollMs = DEFAULTS.pollMs } = opts;
  const end = clock.now() + timeoutMs;
  for (;;) {
    const tasks = await api.runningTasks(id);
    const running = tasks.filter((t) => t.Status?.State === 'running').length;
    if (running === replicas && tasks.length === replicas) return;
    if (clock.now() >= end) {
      const states = tasks.map((t) => `${t.Status?.State ?? '?'}${t.Status?.Err ? ` (${t.Status.Err})` : ''}`).join(', ');
      throw new RuntimeError(`service ${id}`, `${running} of ${replicas} tasks running after ${Math.round(timeoutMs / 1000)} s${states ? `: ${states}` : ''}`);
    }
    await clock.sleep(pollMs, opts.signal);
  }
}

function versionOf(service: InspectedService, id: string): number {
  const index = service.Version?.Index;
  if (index === undefined) throw new RuntimeError(`service ${id}`, 'the engine gave no version index');
  return index;
}

function nameOf(service: InspectedService, id: string): string {
  return service.Spec?.Name ?? id;
}

function statusKey(s: Docker.UpdateStatus | undefined): string {
  return s ? `${s.State}|${s.StartedAt}|${s.CompletedAt ?? ''}|${s.Message ?? ''}` : '';
}

/** Specs compare as the engine returns them: key order does not matter. */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) : value,
  );
}
