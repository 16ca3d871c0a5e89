/**
 * Keeping every running container's /etc/hosts in step as containers come and go. A change of
 * state (a container joining or leaving) and the rewrite of the hosts files happen under one lock
 * per state root, so two containers starting at once (in one process or two) each see the other.
 */
import path from 'node:path';
import { Label } from '../../runtime.js';
import { withFileLock } from '../network/file-lock.js';
import { updateHosts, writeNameFiles, type HostsMember } from '../network/index.js';
import { processRunning } from '../process-info.js';
import { hostGatewayOf, resolveHostGateway, resolvConfOf } from './network-mode.js';
import { containerPaths } from '../state/index.js';
import { listRecords, type ContainerRecord } from './container-record.js';

/** One compose link: `db:database` lets this container reach service `db` as `database`. */
export interface SpecLink {
  /** The linked service (its `io.hafen.service` label), or a container name. */
  service: string;
  alias: string;
}

/** The spec's `links` (ContainerSpec has no such field yet; a spec that carries one is honoured). */
function specLinks(spec: ContainerRecord['spec']): SpecLink[] {
  return (spec.links ?? []).map((l) => ({ service: l.service, alias: l.alias || l.service }));
}

/** A container as the name files see it: its service, instance, names on each network and links. */
export function hostsMember(record: ContainerRecord): HostsMember {
  const { spec } = record;
  const service = spec.labels[Label.service];
  const number = Number(spec.labels[Label.instance]);
  return {
    container: record.name,
    service: service ?? record.name,
    instance: service && number ? `${service}-${number}` : record.name,
    replica: number || 1,
    hostname: spec.hostname || record.name,
    networks: record.networks.map((n) => ({ network: n.name, address: n.address, aliases: n.aliases })),
    links: specLinks(spec),
    extraHosts: resolveHostGateway(spec.extraHosts, hostGatewayOf(record)),
  };
}

/** Whether a record is of a container that is up (its init alive). */
function isUp(record: ContainerRecord): boolean {
  return record.state === 'running' && record.run !== undefined && processRunning(record.run.pid, record.run.startTime);
}

/** Writes a new container's name files (its /etc/hosts knows itself only until it starts). */
export function writeInitialNameFiles(root: string, record: ContainerRecord): void {
  writeNameFiles(containerPaths(root, record.project, record.name), hostsMember(record), [], resolvConfOf(record.spec));
}

/**
 * Runs `change` (which writes a record: a container joined or left) and then rewrites the hosts
 * files of every running container, all under the lock; returns the containers whose file changed.
 */
export async function syncHosts(root: string, change: () => void): Promise<string[]> {
  return withFileLock(path.join(root, 'networks', 'hosts.lock'), () => {
    change();
    const up = listRecords(root).filter(isUp);
    return updateHosts(up.map((r) => ({ member: hostsMember(r), hostsFile: containerPaths(root, r.project, r.name).hosts })));
  });
}
