/**
 * A published port: a userland proxy in this process, as docker-proxy is, from a host address and port
 * to a container's address and port, for TCP (./tcp-proxy.ts) or UDP (./udp-proxy.ts). The listening
 * sockets are in-process and die with it, so they are not in the ledger; their owner is whoever runs
 * the proxies (the per-stack supervisor, which serves them as long as the stack is up).
 */
import { RuntimeError } from '../../../errors.js';
import type { Proxy, ProxyOptions, ProxySpec } from './proxy-spec.js';
import { startTcpProxy } from './tcp-proxy.js';
import { startUdpProxy } from './udp-proxy.js';

export { formatEndpoint, listenAddress, PublishError, type Proxy, type ProxyOptions, type ProxySpec } from './proxy-spec.js';

/** Starts listening for one published port; throws a PublishError when the host will not have it. */
export function startProxy(spec: ProxySpec, options: ProxyOptions = {}): Promise<Proxy> {
  switch (spec.protocol) {
    case 'tcp':
      return startTcpProxy(spec, options);
    case 'udp':
      return startUdpProxy(spec, options);
    default: {
      const never: never = spec.protocol;
      throw new RuntimeError(`service ${spec.service}`, `unknown protocol ${JSON.stringify(never)}`);
    }
  }
}
