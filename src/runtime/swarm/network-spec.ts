/**
 * A stack network as a Swarm overlay network: attachable (so `stack run` and tests can join a
 * plain container to it), with the file's driver options, address pools, `internal` and labels.
 * Pure. External networks are not created: they are looked up by name.
 */
import type { Network } from '../../config/model.js';
import { projectLabels } from './stack-names.js';

/** The Engine API's NetworkCreateRequest for an overlay network (dockerode's NetworkCreateOptions shape). */
export interface OverlayNetworkSpec {
  Name: string;
  Driver: 'overlay';
  Attachable: true;
  /** Check the name is free before creating (a second `up` racing this one fails instead of making two). */
  CheckDuplicate: true;
  Internal: boolean;
  EnableIPv6: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  IPAM?: { Driver: 'default'; Config: { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }[] };
}

/** The create request of stack network `key` of `project`. */
export function overlayNetworkSpec(project: string, key: string, network: Network): OverlayNetworkSpec {
  const pools = network.ipam.map((p) => ({
    ...(p.subnet !== undefined ? { Subnet: p.subnet } : {}),
    ...(p.gateway !== undefined ? { Gateway: p.gateway } : {}),
    ...(p.ip_range !== undefined ? { IPRange: p.ip_range } : {}),
    ...(Object.keys(p.aux_addresses).length > 0 ? { AuxiliaryAddresses: { ...p.aux_addresses } } : {}),
  }));
  return {
    Name: network.name,
    Driver: 'overlay',
    Attachable: true,
    CheckDuplicate: true,
    Internal: network.internal,
    EnableIPv6: network.enable_ipv6,
    Options: { ...network.driver_opts },
    Labels: { ...projectLabels(project, network.labels), [NETWORK_KEY_LABEL]: key },
    ...(pools.length > 0 ? { IPAM: { Driver: 'default', Config: pools } } : {}),
  };
}

/** The label naming the stack key a network was made for. */
export const NETWORK_KEY_LABEL = 'io.hafen.network';
