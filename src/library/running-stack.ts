/**
 * A stack the library brought up: where its ports are on the host, its logs, exec into it, and
 * `down()` (or `await using`) to take it all away again. It talks to the project's supervisor over
 * the connection `up` opened, until `down()` closes it.
 */
import type { Protocol, Stack } from '../config/model.js';
import { StackError } from '../errors.js';
import type { EventSink } from '../executor/events.js';
import { downStack } from '../orchestrator/down.js';
import { withProjectLock, type ProjectRuntime } from '../orchestrator/project-runtime.js';
import type { SnapshotInfo } from '../runtime/snapshot-types.js';
import { Label, type ContainerInfo, type ExecResult, type LogLine } from '../runtime/runtime.js';

/** Which published port: of which instance (1-based, default 1) and protocol (default tcp). */
export interface PortOptions {
  instance?: number;
  protocol?: Protocol;
}

export interface ExecInOptions {
  /** The instance to run in (1-based, default 1). */
  instance?: number;
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
}

/** Which services a snapshot holds (all when none is named), and whether they are stopped for it (issue 20). */
export interface SnapshotInOptions {
  services?: string[];
  /** Stop them gracefully first and start them again after, instead of freezing them while copied. */
  stop?: boolean;
}

export interface DownOptions {
  /** Remove the stack's named volumes too (default false; `await using` removes them). */
  volumes?: boolean;
}

/** Hosts that mean "every address": a client reaches them on the loopback. */
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

/** A started stack. Its methods look at the live containers, so ports are right after a restart too. */
export class RunningStack implements AsyncDisposable {
  /** The project name (container names are `<project>-<service>-<n>`). */
  readonly project: string;
  private down_: Promise<number> | undefined;

  constructor(
    private readonly stack: Stack,
    private readonly opened: ProjectRuntime,
    private readonly sink: EventSink,
  ) {
    this.project = stack.name;
  }

  /** The host port `containerPort` of `service` is published on; throws when it is not published. */
  async port(service: string, containerPort: number, options: PortOptions = {}): Promise<number> {
    return (await this.binding(service, containerPort, options)).hostPort;
  }

  /** `http://HOST:PORT/path` of a published port: the loopback unless it listens on one address only. */
  async url(service: string, containerPort: number, path = '/'): Promise<string> {
    const { hostIp, hostPort } = await this.binding(service, containerPort, {});
    const host = ANY_ADDRESS.has(hostIp) ? '127.0.0.1' : hostIp.includes(':') ? `[${hostIp}]` : hostIp;
    return `http://${host}:${hostPort}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** Every log line of every instance of `service` so far, in time order, one line each. */
  async logs(service: string): Promise<string> {
    const lines: LogLine[] = [];
    for (const c of await this.containersOf(service)) {
      for await (const line of this.opened.runtime.logs(c.name)) lines.push(line);
    }
    // Sorting is stable, so lines of one instance with equal times keep their order.
    lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    return lines.map((l) => `${l.text}\n`).join('');
  }

  /** Runs `command` in an instance of `service` and captures its output. */
  async exec(service: string, command: string[], options: ExecInOptions = {}): Promise<ExecResult> {
    const { instance = 1, ...rest } = options;
    const container = await this.instance(service, instance);
    return this.opened.runtime.exec(container.name, { command, ...rest });
  }

  /** The stack's containers (one-off `run` containers aside). */
  async ps(): Promise<ContainerInfo[]> {
    this.assertUp();
    const all = await this.opened.runtime.listContainers({ [Label.project]: this.project });
    return all.filter((c) => c.labels[Label.oneOff] === undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  // Snapshots and resets (issue 20; embedded runtime).
  /**
   * Saves the state of `services` (all when none is named: their writable layers, named and anonymous volumes) as
   * snapshot `name`, replacing one of that name; running ones are frozen while it is copied.
   */
  async snapshot(name: string, options: SnapshotInOptions = {}): Promise<SnapshotInfo> {
    this.assertUp();
    const { snapshotStack } = await import('../orchestrator/snapshots.js');
    return withProjectLock(this.opened.root, this.project, () =>
      snapshotStack(this.stack, name, { runtime: this.opened.runtime, sink: this.sink, root: this.opened.root, services: options.services ?? [], ...(options.stop ? { stop: true } : {}) }),
    );
  }

  /**
   * Puts the services back to snapshot `name` (all it holds when none is named) in constant time, and
   * resolves once they are ready again; dependents with `depends_on: {restart: true}` are restarted.
   */
  async reset(name: string, options: { services?: string[] } = {}): Promise<void> {
    this.assertUp();
    const { resetStack } = await import('../orchestrator/snapshots.js');
    await withProjectLock(this.opened.root, this.project, () => resetStack(this.stack, name, { runtime: this.opened.runtime, sink: this.sink, root: this.opened.root, services: options.services ?? [] }));
  }

  /** The stack's snapshots, oldest first. */
  async snapshots(): Promise<SnapshotInfo[]> {
    this.assertUp();
    return this.opened.runtime.listSnapshots(this.project);
  }

  /** Stops and removes everything of the stack (and its supervisor); named volumes only with `volumes`. Once done, again is a no-op. */
  async down(options: DownOptions = {}): Promise<void> {
    this.down_ ??= (async () => {
      await this.opened.close();
      return downStack(this.stack, { sink: this.sink, root: this.opened.root, ...(options.volumes ? { volumes: true } : {}) });
    })();
    const running = this.down_;
    await running.catch((err: unknown) => {
      if (this.down_ === running) this.down_ = undefined; // a failed down may be tried again
      throw err;
    });
  }

  /** `await using env = await up(...)`: down, volumes too. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.down({ volumes: true });
  }

  private assertUp(): void {
    if (this.down_) throw new StackError('E_USAGE', `project ${this.project} was taken down; call up() again`, 2);
  }

  private async containersOf(service: string): Promise<ContainerInfo[]> {
    if (!this.stack.services[service]) {
      const known = Object.keys(this.stack.services).sort().join(', ');
      throw new StackError('E_USAGE', `no service ${service} in ${this.stack.files.join(', ')} (services: ${known})`, 2);
    }
    const mine = (await this.ps()).filter((c) => c.labels[Label.service] === service);
    if (mine.length === 0) throw new StackError('E_RUNTIME', `service ${service} of project ${this.project} has no containers (was it brought up?)`, 1);
    return mine;
  }

  private async instance(service: string, n: number): Promise<ContainerInfo> {
    const mine = await this.containersOf(service);
    const found = mine.find((c) => Number(c.labels[Label.instance] ?? 1) === n);
    if (!found) {
      const have = mine.map((c) => c.labels[Label.instance] ?? '1').join(', ');
      throw new StackError('E_USAGE', `service ${service} has no instance ${n} (instances: ${have})`, 2);
    }
    return found;
  }

  private async binding(service: string, containerPort: number, options: PortOptions): Promise<{ hostIp: string; hostPort: number }> {
    const protocol = options.protocol ?? 'tcp';
    const container = await this.instance(service, options.instance ?? 1);
    const found = container.ports.find((p) => p.target === containerPort && p.protocol === protocol);
    if (!found && container.state !== 'running') {
      throw new StackError('E_RUNTIME', `service ${service}: ${container.name} is ${container.state}, so port ${containerPort}/${protocol} is not published now`, 1);
    }
    if (!found) {
      const published = container.ports.map((p) => `${p.target}/${p.protocol}`).join(', ') || 'none';
      throw new StackError(
        'E_USAGE',
        `service ${service}: port ${containerPort}/${protocol} of ${container.name} is not published (published: ${published}); add "${containerPort}" to its ports:`,
        2,
      );
    }
    return found;
  }
}
