/**
 * All published ports of one project: started when a container starts, stopped when it stops,
 * listed for `stack port` and `stack ps`. Owned by the process that serves the stack (the per-stack
 * supervisor once `stack up -d` has returned): its listeners live and die with it, so they need no
 * ledger entries; a supervisor killed takes them along, and a new one starts them again.
 */
import { formatEndpoint, listenAddress, startProxy, type Proxy, type ProxyOptions, type ProxySpec } from './proxy.js';
import { RuntimeError } from '../../../errors.js';

/** A published port as bound on the host, with whom it belongs to. */
export interface PublishedPort {
  service: string;
  container: string;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  /** Container port. */
  target: number;
  targetIp: string;
}

function describe(p: Proxy): PublishedPort {
  return {
    service: p.spec.service,
    container: p.spec.container,
    protocol: p.protocol,
    hostIp: p.hostIp,
    hostPort: p.hostPort,
    target: p.spec.targetPort,
    targetIp: p.spec.targetIp,
  };
}

/** The proxies of one project. */
export class ProxySet implements AsyncDisposable {
  private readonly proxies: Proxy[] = [];

  constructor(
    readonly project: string,
    private readonly options: ProxyOptions = {},
  ) {}

  /**
   * Starts the proxies of `specs` (typically one container's ports), all or none: when one cannot
   * listen, those started by this call are stopped again and its PublishError is thrown.
   */
  async start(specs: readonly ProxySpec[]): Promise<PublishedPort[]> {
    const started: Proxy[] = [];
    try {
      for (const spec of specs) {
        const clash = this.proxies.find(
          (p) => spec.hostPort && p.hostPort === spec.hostPort && p.protocol === spec.protocol && p.hostIp === listenAddress(spec),
        );
        if (clash) {
          const where = formatEndpoint(clash.hostIp, clash.hostPort, clash.protocol);
          throw new RuntimeError(`service ${spec.service}`, `cannot publish ${where}: service ${clash.spec.service} (${clash.spec.container}) publishes it already`);
        }
        const proxy = await startProxy(spec, this.options);
        started.push(proxy);
        this.proxies.push(proxy);
      }
    } catch (err) {
      await this.close(started);
      throw err;
    }
    return started.map(describe);
  }

  /** Stops the proxies of `container`, or every proxy of the project. */
  async stop(container?: string): Promise<void> {
    await this.close(this.proxies.filter((p) => container === undefined || p.spec.container === container));
  }

  /** The published ports, optionally of one service or container, in the order they were started. */
  list(filter: { service?: string; container?: string } = {}): PublishedPort[] {
    return this.proxies
      .filter((p) => (filter.service === undefined || p.spec.service === filter.service) && (filter.container === undefined || p.spec.container === filter.container))
      .map(describe);
  }

  /**
   * What `stack port SERVICE TARGET[/PROTOCOL]` prints: the host side of a container port of a
   * service; `index` picks the replica (1-based, in start order).
   */
  port(service: string, target: number, protocol: 'tcp' | 'udp' = 'tcp', index = 1): PublishedPort | undefined {
    return this.list({ service }).filter((p) => p.target === target && p.protocol === protocol)[index - 1];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async close(proxies: Proxy[]): Promise<void> {
    for (const p of proxies) {
      const i = this.proxies.indexOf(p);
      if (i >= 0) this.proxies.splice(i, 1);
    }
    await Promise.all(proxies.map((p) => p.close()));
  }
}
