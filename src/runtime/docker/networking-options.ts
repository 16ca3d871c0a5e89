/**
 * The networking parts of Docker's create request beyond the networks themselves: NetworkMode for
 * `network_mode`, the resolver (Dns, DnsSearch, DnsOptions), Domainname and the MAC address. Pure.
 */
import type Docker from 'dockerode';
import type { ContainerSpec, NetworkSpec } from '../runtime.js';

/** Docker's NetworkMode for a spec's mode: `host`, `none`, `container:NAME`. */
export function dockerNetworkMode(mode: NonNullable<ContainerSpec['networkMode']>): string {
  return mode.kind === 'container' ? `container:${mode.container}` : mode.kind;
}

/** What a spec's networking adds to the create request; applied over the plain one. */
export function applyNetworking(spec: ContainerSpec, options: Docker.ContainerCreateOptions): void {
  const host = (options.HostConfig ??= {});
  if (spec.dns?.length) host.Dns = [...spec.dns];
  if (spec.dnsSearch?.length) host.DnsSearch = [...spec.dnsSearch];
  if (spec.dnsOptions?.length) host.DnsOptions = [...spec.dnsOptions];
  if (spec.domainname) options.Domainname = spec.domainname;
  // API 1.41 (Docker 20.10) takes the MAC of the first network at the container level only.
  const mac = spec.networks[0]?.macAddress;
  if (mac) (options as { MacAddress?: string }).MacAddress = mac;
  const mode = spec.networkMode;
  if (!mode) return;
  host.NetworkMode = dockerNetworkMode(mode);
  delete options.NetworkingConfig;
  if (mode.kind === 'container') {
    // Docker refuses these with a container's namespace: they are that container's.
    delete options.Hostname;
    delete host.ExtraHosts;
  }
}

/** Compose's further network keys as Docker's network create request takes them. */
export function dockerNetworkExtras(spec: NetworkSpec): Partial<Docker.NetworkCreateOptions> {
  const out: Partial<Docker.NetworkCreateOptions> = {};
  if (spec.ipam?.length) {
    out.IPAM = {
      Driver: 'default',
      Config: spec.ipam.map((p) => ({
        ...(p.subnet ? { Subnet: p.subnet } : {}),
        ...(p.gateway ? { Gateway: p.gateway } : {}),
        ...(p.ipRange ? { IPRange: p.ipRange } : {}),
        ...(p.auxAddresses ? { AuxiliaryAddresses: p.auxAddresses } : {}),
      })),
    };
  }
  if (spec.driverOpts) out.Options = { ...spec.driverOpts };
  if (spec.attachable) out.Attachable = true;
  if (spec.enableIpv6) out.EnableIPv6 = true;
  return out;
}
