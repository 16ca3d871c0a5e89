/**
 * A container's network namespace and name files by its `networkMode`: its own (new, wired to its
 * networks, or with only a loopback for `none`), the host's, or another running container's, whose
 * /etc/hosts, /etc/hostname, /etc/resolv.conf and host name it then shares, as Docker does.
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import type { ContainerSpec } from '../../runtime.js';
import type { NetSpec } from '../launcher/spec.js';
import { resolvConfText, type NameFiles } from '../network/index.js';
import { processRunning } from '../process-info.js';
import { holderOutbound, rootlessContainerResolvConf } from '../rootless/holder-outbound.js';
import { isRootless } from '../rootless/user-namespace.js';
import { containerPaths } from '../state/index.js';
import { listRecords, type ContainerRecord } from './container-record.js';

/**
 * Where `host-gateway` points for this container: its first network's bridge, or the host itself on
 * its network. For a user without root, the bridges live in the holder's namespace, so it is the host
 * as the holder's outbound network reaches it: its own address (its loopback only when the user opened it).
 */
export function hostGatewayOf(record: ContainerRecord): string | undefined {
  if (isRootless()) {
    const outbound = holderOutbound();
    if (outbound) return outbound.hostAddress;
  }
  if (record.spec.networkMode?.kind === 'host') return '127.0.0.1';
  return record.networks[0]?.gateway;
}

/** `extra_hosts` with `host-gateway` replaced by the address; left out where there is none (loopback only). */
export function resolveHostGateway(extraHosts: Record<string, string>, gateway: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, address] of Object.entries(extraHosts)) {
    if (address !== 'host-gateway') out[name] = address;
    else if (gateway) out[name] = gateway;
  }
  return out;
}

/** The host's own resolv.conf, for a container on the host's network. */
function hostResolvConf(): string | undefined {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return undefined;
  }
}

/** A container's /etc/resolv.conf text. */
export function resolvConfOf(spec: ContainerSpec): string {
  const settings = {
    ...(spec.dns ? { dns: spec.dns } : {}),
    ...(spec.dnsSearch ? { dnsSearch: spec.dnsSearch } : {}),
    ...(spec.dnsOptions ? { dnsOptions: spec.dnsOptions } : {}),
  };
  const text = resolvConfText(settings, spec.networkMode?.kind === 'host' ? hostResolvConf() : undefined);
  // A user without root: a loopback resolver of the host answers nobody in the holder's namespaces.
  return isRootless() ? rootlessContainerResolvConf(text) : text;
}

/** How a container starts, network-wise. */
export interface NetworkNamespace {
  net: NetSpec;
  hostname: string;
  /** The name files bound over /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  files: NameFiles;
}

/** The namespace and name files of `record` at start; a container it joins must be running. */
export function networkNamespace(root: string, record: ContainerRecord): NetworkNamespace {
  const { spec } = record;
  const own = containerPaths(root, record.project, record.name);
  const mode = spec.networkMode;
  if (!mode || mode.kind === 'none') return { net: 'new', hostname: spec.hostname, files: own };
  if (mode.kind === 'host') return { net: 'host', hostname: spec.hostname, files: own };
  const target = listRecords(root).find((r) => r.name === mode.container);
  const up = target?.state === 'running' && target.run && processRunning(target.run.pid, target.run.startTime);
  if (!target || !up || !target.run) {
    throw new RuntimeError(
      `container ${record.name}`,
      `its network_mode joins container ${mode.container}, which is ${target ? 'not running' : 'not there'}; start it first`,
    );
  }
  return { net: { join: `/proc/${target.run.pid}/ns/net` }, hostname: target.spec.hostname, files: containerPaths(root, target.project, target.name) };
}
