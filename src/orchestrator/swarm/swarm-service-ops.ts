/**
 * `scale`, rolling `restart` and the stop of an attached `up` on a Docker Swarm: each through the
 * service update API (update-service.ts), so the swarm rolls the tasks as the service's
 * update_config orders them (parallelism, delay, order, failure_action), services in parallel.
 */
import type Docker from 'dockerode';
import { RuntimeError, UsageError } from '../../errors.js';
import type { EventInput, EventSink } from '../../executor/events.js';
import { Label } from '../../runtime/runtime.js';
import { projectServices, type ListedService } from '../../runtime/swarm/swarm-resources.js';
import { engineServiceApi, restartService, scaleService, type UpdateOutcome } from '../../runtime/swarm/update-service.js';

/** What the operations share. */
export interface ServiceOpsOptions {
  sink: EventSink;
  signal?: AbortSignal;
  /** Longest wait for one service (default 5 minutes). */
  timeoutMs?: number;
}

/** The project's services by hafen's name (`web`), those named (all when none); an unknown name is a usage error. */
async function servicesOf(docker: Docker, project: string, names: readonly string[]): Promise<Map<string, ListedService>> {
  const all = new Map([...(await projectServices(docker, project)).values()].map((s) => [s.Spec?.Labels?.[Label.service] ?? s.Spec?.Name ?? s.ID, s] as const));
  for (const n of names) if (!all.has(n)) throw new UsageError(`service ${n}: project ${project} has no such service on the swarm (it has: ${[...all.keys()].sort().join(', ') || 'none'})`);
  return names.length === 0 ? all : new Map(names.map((n) => [n, all.get(n)!]));
}

/** Runs `op` on each service in parallel, with its events; fails naming each service whose update did not complete. */
async function each(project: string, services: Map<string, ListedService>, options: ServiceOpsOptions, action: string, op: (id: string, wait: { timeoutMs: number; signal?: AbortSignal; onStatus: (s: Docker.UpdateStatus) => void }) => Promise<UpdateOutcome>): Promise<Record<string, UpdateOutcome>> {
  const emit = (e: EventInput) => options.sink({ ...e, time: Date.now() } as Parameters<EventSink>[0]);
  emit({ kind: 'plan-start', project, action: action === 'stop' ? 'down' : 'up', nodes: services.size, names: [...services.keys()] });
  const started = Date.now();
  const outcomes: Record<string, UpdateOutcome> = {};
  const failures: string[] = [];
  await Promise.all(
    [...services].map(async ([name, s]) => {
      const stopping = action === 'stop';
      emit({ kind: 'service-state', service: name, name, state: stopping ? 'stopping' : 'starting', detail: action });
      try {
        const outcome = await op(s.ID, {
          timeoutMs: options.timeoutMs ?? 5 * 60_000,
          ...(options.signal ? { signal: options.signal } : {}),
          onStatus: (st) => emit({ kind: 'service-state', service: name, name, state: 'checking', detail: `${st.State}${st.Message ? `: ${st.Message}` : ''}` }),
        });
        outcomes[name] = outcome;
        if (outcome.state === 'completed' || outcome.state === 'unchanged') emit({ kind: 'service-state', service: name, name, state: stopping ? 'stopped' : 'ready' });
        else {
          failures.push(`${name}: ${outcome.state}: ${outcome.message}`);
          emit({ kind: 'service-state', service: name, name, state: 'failed', detail: `${outcome.state}: ${outcome.message}` });
        }
      } catch (err) {
        failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        emit({ kind: 'service-state', service: name, name, state: 'failed', detail: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
  const ok = failures.length === 0;
  const error = ok ? undefined : new RuntimeError(`project ${project}`, `${action} did not complete: ${failures.join('; ')}`);
  emit({ kind: 'plan-done', ok, ms: Date.now() - started, ...(error ? { error: { code: error.code, message: error.message } } : {}) });
  if (error) throw error;
  return outcomes;
}

/** Sets each named service's replicas (`web=3`) and waits until that many tasks run. */
export async function swarmScale(docker: Docker, project: string, scales: Readonly<Record<string, number>>, options: ServiceOpsOptions): Promise<Record<string, UpdateOutcome>> {
  const services = await servicesOf(docker, project, Object.keys(scales));
  const api = engineServiceApi(docker);
  return each(project, services, options, 'scale', (id, wait) => scaleService(api, id, scales[[...services].find(([, s]) => s.ID === id)![0]]!, wait));
}

/** A rolling restart of the named services (all when none): every task replaced, as update_config orders it. */
export async function swarmRestart(docker: Docker, project: string, names: readonly string[], options: ServiceOpsOptions): Promise<Record<string, UpdateOutcome>> {
  const api = engineServiceApi(docker);
  return each(project, await servicesOf(docker, project, names), options, 'restart', (id, wait) => restartService(api, id, wait));
}

/**
 * The stop of an attached `up` (Ctrl-C), as on the other runtimes: every replicated service of the
 * project scaled to 0 (kept, with its networks and objects: `up` brings it back as the file says).
 * A global service has no replica count: it runs on, and is returned so the caller can say so.
 */
export async function swarmStop(docker: Docker, project: string, names: readonly string[], options: ServiceOpsOptions): Promise<{ stopped: string[]; global: string[] }> {
  const services = await servicesOf(docker, project, []);
  const chosen = new Map([...services].filter(([n]) => names.length === 0 || names.includes(n)));
  const replicated = new Map([...chosen].filter(([, s]) => s.Spec?.Mode?.Replicated !== undefined));
  const api = engineServiceApi(docker);
  await each(project, replicated, options, 'stop', (id, wait) => scaleService(api, id, 0, wait));
  return { stopped: [...replicated.keys()], global: [...chosen.keys()].filter((n) => !replicated.has(n)) };
}
