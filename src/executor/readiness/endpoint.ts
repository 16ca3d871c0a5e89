/** Where hafen connects to reach a container's port from the host, for `ready:` tcp and http probes. */
import type { ContainerInfo } from '../../runtime/runtime.js';

/** A host and port to connect to. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * Finds the endpoint of a container port, or undefined when it cannot be reached (yet). A runtime
 * adapter passes its own when container addresses are not routable from here (a remote Docker ship).
 */
export type ResolveEndpoint = (container: ContainerInfo, port: number) => Endpoint | undefined;

/** The container's address on its first network; else the port published on the host (0.0.0.0 read as 127.0.0.1). */
export const defaultResolveEndpoint: ResolveEndpoint = (container, port) => {
  const address = Object.values(container.addresses).find((a) => a !== '');
  if (address) return { host: address, port };
  const binding = container.ports.find((p) => p.target === port && p.protocol === 'tcp' && p.hostPort > 0);
  if (!binding) return undefined;
  const host = binding.hostIp === '' || binding.hostIp === '0.0.0.0' ? '127.0.0.1' : binding.hostIp === '::' ? '::1' : binding.hostIp;
  return { host, port: binding.hostPort };
};

/** Published ports only: for runtimes whose container addresses the host cannot route to. */
export const publishedPortEndpoint: ResolveEndpoint = (container, port) =>
  defaultResolveEndpoint({ ...container, addresses: {} }, port);
