/**
 * The dashboard's data on the swarm runtime (issue 18): the project's tasks per node, read from the
 * manager every second, as the rows the dashboard shows for containers (a task `web.2` on node
 * `nodeb`: its state, health, node in the host column); their CPU and memory through each node's
 * engine that is reachable (node-engines.ts); each service's log (service logs through the manager)
 * followed. The keys act through the service update API (restart rolls, stop scales to 0, start
 * deploys the service again as the file says) and `down` removes it all from the swarm.
 */
import type { Stack } from '../config/model.js';
import { DockerRuntime } from '../runtime/docker/docker-runtime.js';
import { Label, type ContainerInfo, type ContainerState, type ContainerStats, type Health } from '../runtime/runtime.js';
import { projectServices } from '../runtime/swarm/swarm-resources.js';
import type { SwarmTarget } from '../runtime/swarm/swarm-target.js';
import { nodeNames, serviceTasks, type TaskView } from '../runtime/swarm/swarm-tasks.js';
import { nodeEngines } from '../orchestrator/swarm/node-engines.js';
import { swarmLogs } from '../orchestrator/swarm/swarm-logs.js';
import { swarmRestart, swarmStop } from '../orchestrator/swarm/swarm-service-ops.js';
import type { StackActions } from './controller.js';
import type { Store } from './store.js';

/** What the running view needs of a data source (StackSource on the other runtimes, SwarmSource here). */
export interface DashboardSource {
  start(): void;
  readonly actions: StackActions;
  close(): Promise<void>;
}

/** A task as a dashboard row's container: named `web.2`, its slot the instance, its node the host. */
export function taskAsContainer(project: string, service: string, image: string, t: TaskView, healthchecked: boolean): ContainerInfo {
  const slot = Number(/\.(\d+)$/.exec(t.name)?.[1] ?? 1);
  const state: ContainerState = t.state === 'running' ? 'running' : ['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting'].includes(t.state) ? 'created' : 'exited';
  const health: Health = !healthchecked ? 'none' : t.state === 'running' ? 'healthy' : t.state === 'starting' ? 'starting' : 'none';
  return {
    id: t.containerId ?? t.id,
    name: t.name,
    image,
    labels: { [Label.project]: project, [Label.service]: service, [Label.instance]: String(slot) },
    state,
    health,
    ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
    oomKilled: false,
    createdAt: t.createdAt,
    ...(t.state === 'running' ? { startedAt: t.updatedAt } : {}),
    ports: [],
    addresses: {},
    host: t.node,
  };
}

/** Polls the project's tasks into the store and follows each service's log until `close()`. */
export class SwarmSource implements DashboardSource {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly stopping = new AbortController();
  private readonly following = new Set<string>();
  /** Node id → a runtime of that node's engine (for stats), read once at start. */
  private engines: Promise<Map<string, DockerRuntime>> | undefined;

  constructor(private readonly options: { stack: Stack; target: SwarmTarget; store: Store; intervalMs?: number }) {}

  start(): void {
    this.engines = nodeEngines(this.options.target, this.options.stack)
      .then((e) => new Map([...e.reachable].map(([id, n]) => [e.hostnames.get(id) ?? id, new DockerRuntime(n.where)])))
      .catch(() => new Map());
    void this.poll();
  }

  /** One look: every current task of every service of the project, as rows. */
  async poll(): Promise<void> {
    if (this.closed) return;
    const { stack, target, store } = this.options;
    try {
      const [services, engines] = await Promise.all([projectServices(target.docker, stack.name), this.engines ?? new Map<string, DockerRuntime>()]);
      const nodes = await nodeNames(target.docker);
      const containers: ContainerInfo[] = [];
      for (const [swarmName, s] of services) {
        const service = s.Spec?.Labels?.[Label.service] ?? swarmName;
        const spec = s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string; Healthcheck?: { Test?: string[] } } } | undefined;
        const test = spec?.ContainerSpec?.Healthcheck?.Test;
        const tasks = (await serviceTasks(target.docker, swarmName, service, nodes)).filter((t) => t.desired === 'running' || (t.state === 'complete' && t.desired !== 'remove'));
        for (const t of tasks) containers.push(taskAsContainer(stack.name, service, (spec?.ContainerSpec?.Image ?? '').replace(/@sha256:.*$/, ''), t, test !== undefined && test.length > 0 && test[0] !== 'NONE'));
        this.follow(service);
      }
      const stats: Record<string, ContainerStats> = {};
      await Promise.all(
        containers
          .filter((c) => c.state === 'running')
          .map(async (c) => {
            const engine = engines.get(c.host);
            if (engine) stats[c.name] = await engine.stats(c.id).catch(() => ({ cpuNanos: 0, memoryBytes: 0, pids: 0 }));
          }),
      );
      if (!this.closed) store.dispatch({ type: 'snapshot', time: Date.now(), containers, stats });
    } catch (err) {
      if (!this.closed) store.dispatch({ type: 'status', text: `cannot read ${stack.name} on the swarm: ${err instanceof Error ? err.message : String(err)}`, tone: 'error' });
    } finally {
      if (!this.closed) this.timer = setTimeout(() => void this.poll(), this.options.intervalMs ?? 1000);
    }
  }

  /** Follows a service's log once (the manager merges its tasks' logs). */
  private follow(service: string): void {
    if (this.following.has(service)) return;
    this.following.add(service);
    const { stack, target, store } = this.options;
    void swarmLogs(target.docker, stack.name, { services: [service], follow: true, tail: 200, signal: this.stopping.signal }, (_s, line) =>
      store.dispatch({ type: 'event', event: { kind: 'log', time: Date.now(), service, name: service, stream: line.stream, text: line.text.replace(/\r?\n$/, '') } }),
    )
      .catch(() => {})
      .finally(() => this.following.delete(service));
  }

  readonly actions: StackActions = {
    restart: async (service) => {
      await swarmRestart(this.options.target.docker, this.options.stack.name, [service], this.ops());
      return `restarted ${service} (rolling)`;
    },
    stop: async (service) => {
      const { global } = await swarmStop(this.options.target.docker, this.options.stack.name, [service], this.ops());
      return global.length ? `${service} is global: Swarm cannot scale it to 0 (down removes it)` : `stopped ${service} (scaled to 0)`;
    },
    start: async (service) => {
      const { swarmUp } = await import('../orchestrator/swarm/swarm-up.js');
      await swarmUp(this.options.stack, { target: this.options.target, sink: this.options.store.sink, services: [service], signal: this.stopping.signal });
      return `started ${service}`;
    },
    rebuild: async (service) => `${service}: nothing is built on a swarm (images are pushed); r restarts it`,
    down: async () => {
      const { stack, store, target } = this.options;
      await this.close();
      const { swarmDown } = await import('../orchestrator/swarm/swarm-down.js');
      const removed = await swarmDown(stack.name, { target, sink: store.sink });
      (await import('../orchestrator/swarm/swarm-projects.js')).forgetSwarmProject(stack.name);
      store.dispatch({ type: 'down' });
      return `${stack.name} is down: ${removed} service(s) removed from the swarm (volumes kept); q quits`;
    },
  };

  private ops(): { sink: Store['sink']; signal: AbortSignal } {
    return { sink: this.options.store.sink, signal: this.stopping.signal };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.stopping.abort();
    const engines = await this.engines?.catch(() => undefined);
    for (const e of engines?.values() ?? []) await e.close().catch(() => {});
  }
}
