/**
 * Where the dashboard's data comes from and where its actions go: the project's containers looked at
 * again as soon as one of their events comes (created, started, health changed, died, removed) and
 * their stats read every second, each container's log followed, and the lifecycle functions of the
 * orchestrator run under the project's lock, their events fed to the store. Without events (the
 * runtime's stream failed) the containers are polled every second too.
 */
import type { Stack } from '../config/model.js';
import { downStack } from '../orchestrator/down.js';
import { followProjectEvents } from '../orchestrator/project-events.js';
import { openProjectRuntime, withProjectLock, type ProjectRuntime } from '../orchestrator/project-runtime.js';
import { stopStack } from '../orchestrator/stop.js';
import { upStack } from '../orchestrator/up.js';
import { readReadiness, readyStateOf, recordReadiness } from '../orchestrator/ready-records.js';
import { fanOut, type EventSink } from '../executor/events.js';
import { Label, type ContainerInfo, type ContainerStats, type Runtime } from '../runtime/runtime.js';
import type { StackActions } from './controller.js';
import type { Store } from './store.js';

export interface SourceOptions {
  stack: Stack;
  opened: ProjectRuntime;
  store: Store;
  profiles?: readonly string[];
  /** Between two looks at the stack. */
  intervalMs?: number;
}

/** One container's log being followed, and the time of its last line (to go on after a restart without repeats). */
interface Follower {
  abort: AbortController;
  active: boolean;
  lastTime?: string;
}

/** Polls the stack into the store and follows logs until `close()`; `actions` change the stack. */
export class StackSource {
  private readonly followers = new Map<string, Follower>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private lastError: string | undefined;
  /** The containers as last seen; between events only their stats are read again. */
  private containers: ContainerInfo[] | undefined;
  /** Whether container events are followed (else the containers are polled). */
  private eventsFollowed = false;
  /** An event came while a look was under way: look again right after it. */
  private lookAgain = false;
  /** Aborted on close: an action still under way stops scheduling. */
  private readonly stopping = new AbortController();
  /** A runtime through the supervisor, opened when an action needs one and none was running. */
  private supervised: ProjectRuntime | undefined;

  constructor(private readonly options: SourceOptions) {}

  private get runtime(): Runtime {
    return (this.supervised ?? this.options.opened).runtime;
  }

  /** Starts following events and polling stats (the first look at once). */
  start(): void {
    void this.followEvents();
    void this.poll();
  }

  /** Container events: each one makes the next look come at once and read the containers again. */
  private async followEvents(): Promise<void> {
    const { stack, opened } = this.options;
    try {
      // From now: an event between the first look and the stream's start comes all the same.
      const events = followProjectEvents({ project: stack.name, runtime: opened.runtime, root: opened.root, signal: this.stopping.signal, since: Date.now() });
      this.eventsFollowed = true;
      for await (const _event of events) {
        this.containers = undefined;
        clearTimeout(this.timer);
        if (this.polling) this.lookAgain = true;
        else void this.poll();
      }
    } catch {
      // The stream failed: the containers are polled instead.
    } finally {
      this.eventsFollowed = false;
    }
  }

  /** One look at the stack: the snapshot into the store, logs followed for containers not yet followed. */
  async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    const { store, stack } = this.options;
    try {
      const known = this.eventsFollowed ? this.containers : undefined;
      const containers = known ?? (await this.runtime.listContainers({ [Label.project]: stack.name }));
      this.containers = containers;
      const stats: Record<string, ContainerStats> = {};
      await Promise.all(
        containers
          .filter((c) => c.state === 'running')
          .map(async (c) => {
            stats[c.name] = await this.runtime.stats(c.name).catch(() => ({ cpuNanos: 0, memoryBytes: 0, pids: 0 }));
          }),
      );
      if (this.closed) return;
      const records = readReadiness(this.options.opened.root, stack.name);
      const ready = Object.fromEntries(containers.flatMap((c) => {
        const state = readyStateOf(records.get(c.name), c);
        return state ? [[c.name, state]] : [];
      }));
      store.dispatch({ type: 'snapshot', time: Date.now(), containers, stats, ready });
      if (this.lastError) store.dispatch({ type: 'status', text: `${stack.name} answers again`, tone: 'info' });
      this.lastError = undefined;
      this.followLogs(containers);
    } catch (err) {
      const message = `cannot read ${stack.name}: ${err instanceof Error ? err.message : String(err)}`;
      if (message !== this.lastError && !this.closed) store.dispatch({ type: 'status', text: message, tone: 'error' });
      this.lastError = message;
    } finally {
      this.polling = false;
      const again = this.lookAgain;
      this.lookAgain = false;
      if (!this.closed) this.timer = setTimeout(() => void this.poll(), again ? 0 : (this.options.intervalMs ?? 1000));
    }
  }

  /** Follows each container once it exists; a restarted one again from its last line seen. */
  private followLogs(containers: readonly ContainerInfo[]): void {
    for (const c of containers) {
      if (c.labels[Label.oneOff]) continue;
      const known = this.followers.get(c.name);
      if (known?.active || (known && c.state !== 'running')) continue;
      const follower: Follower = known ?? { abort: new AbortController(), active: true };
      follower.active = true;
      this.followers.set(c.name, follower);
      void this.follow(c, follower);
    }
  }

  private async follow(c: ContainerInfo, follower: Follower): Promise<void> {
    const { store, stack } = this.options;
    const service = c.labels[Label.service] ?? c.name;
    const instance = Number(c.labels[Label.instance] ?? 1);
    const name = stack.services[service]?.replicas === 1 && instance === 1 ? service : `${service}-${instance}`;
    const after = follower.lastTime;
    const opts = { follow: true, signal: follower.abort.signal, ...(after ? { since: after } : { tail: 200 }) };
    try {
      for await (const line of this.runtime.logs(c.name, opts)) {
        if (after && line.time <= after && line.time.length === after.length) continue;
        follower.lastTime = line.time;
        store.dispatch({ type: 'event', event: { kind: 'log', time: Date.now(), service, name, container: c.name, stream: line.stream, text: line.text.replace(/\r?\n$/, '') } });
      }
    } catch {
      // A container removed under the reader ends its log; the next look starts a new one if it comes back.
    } finally {
      follower.active = false;
    }
  }

  /** The runtime that may start containers: the supervisor's (started when none runs). */
  private async owner(): Promise<Runtime> {
    const { opened, stack } = this.options;
    if (opened.supervisor) return opened.runtime;
    this.supervised ??= await openProjectRuntime(stack.name, { supervise: true, root: opened.root });
    return this.supervised.runtime;
  }

  private async locked<T>(fn: (runtime: Runtime) => Promise<T>): Promise<T> {
    const runtime = await this.owner();
    return withProjectLock(this.options.opened.root, this.options.stack.name, () => fn(runtime));
  }

  /** What the keys do to the stack, through the orchestrator as the CLI's commands do it. */
  readonly actions: StackActions = {
    restart: (service) =>
      this.locked(async (runtime) => {
        const { stack, store } = this.options;
        await stopStack(stack, runtime, { sink: store.sink, services: [service] });
        await upStack(stack, { runtime, services: [service], noDeps: true, ...this.common() });
        return `restarted ${service}`;
      }),
    stop: (service) =>
      this.locked(async (runtime) => {
        const n = await stopStack(this.options.stack, runtime, { sink: this.options.store.sink, services: [service] });
        return n === 0 ? `${service} was not running` : `stopped ${service}`;
      }),
    start: (service) =>
      this.locked(async (runtime) => {
        await upStack(this.options.stack, { runtime, services: [service], ...this.common() });
        return `started ${service}`;
      }),
    rebuild: (service) =>
      this.locked(async (runtime) => {
        const { stack } = this.options;
        await upStack(stack, { runtime, services: [service], noDeps: true, build: true, forceRecreate: true, ...this.common() });
        return `rebuilt and recreated ${service}`;
      }),
    down: async () => {
      const { stack, store, opened } = this.options;
      await this.close();
      const removed = await downStack(stack, { sink: store.sink, root: opened.root });
      store.dispatch({ type: 'down' });
      return `${stack.name} is down: ${removed} container(s) removed (volumes kept); q quits`;
    },
  };

  /**
   * What every `upStack` of an action is given: the enabled profiles, the signal that stops it on
   * quit, the state root, and the store's sink with the recorder of `ready:` results (ready-records.ts) before it.
   */
  private common(): { profiles?: readonly string[]; signal: AbortSignal; root: string; sink: EventSink } {
    const sink = fanOut(recordReadiness(this.options.opened.root, this.options.stack), this.options.store.sink);
    return { signal: this.stopping.signal, root: this.options.opened.root, sink, ...(this.options.profiles ? { profiles: this.options.profiles } : {}) };
  }

  /** Stops polling and following; closes a runtime this source opened. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.stopping.abort();
    for (const f of this.followers.values()) f.abort.abort();
    const supervised = this.supervised;
    this.supervised = undefined;
    await supervised?.close().catch(() => {});
  }
}
