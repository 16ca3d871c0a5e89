/**
 * Ports across a reset (issue 20): a port the stack file publishes on no fixed host port gets a free
 * one at each start; a reset is not a new start for its users, so the host port it had is asked for again.
 */
import type { PortMapping } from '../../../config/model.js';
import type { ContainerRecord } from '../containers/container-record.js';

/** The host port `p` had before the container's reset, if any. */
export function keptHostPort(record: Pick<ContainerRecord, 'keptPorts'>, p: Pick<PortMapping, 'target' | 'protocol' | 'host_ip'>): number | undefined {
  const hostIp = p.host_ip || '127.0.0.1';
  return record.keptPorts?.find((k) => k.target === p.target && k.protocol === p.protocol && k.hostIp === hostIp)?.hostPort;
}
