/**
 * Keeping every running container's /etc/hosts in step as containers come and go. A change of
 * state (a container joining or leaving) and the rewrite of the hosts files happen under one lock
 * per state root, so two containers starting at once (in one process or two) each see the other.
 */
import path from 'node:path';
import { Label } from '../../runtime.js';
import { withFileLock } from '../network/file-lock.js';
import { updateHosts, type HostsMember } from '../network/index.js';
import { writeNewNameFiles } from '../network/hosts-files.js';
import { processRunning } from '../process-info.js';
import { hostGatewayOf, resolveHostGateway, resolvConfOf } from './network-mode.js';
import { containerDir, containerPaths } from '../state/index.js';
import { listRecords, type ContainerRecord } from './container-record.js';
import { traced } from '../../../trace.js';

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

/** Members made of records, per record: parsed records are shared and frozen while their file is unchanged (container-record.ts). */
const members = new WeakMap<ContainerRecord, HostsMember>();

/** A container as the name files see it: its service, instance, names on each network and links. */
export function hostsMember(record: ContainerRecord): HostsMember {
  if (!Object.isFrozen(record)) return makeHostsMember(record);
  let member = members.get(record);
  if (!member) members.set(record, (member = makeHostsMember(record)));
  return member;
}

function makeHostsMember(record: ContainerRecord): HostsMember {
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

/**
 * Inits found alive lately (`pid start-time` → when). A burst of starts rewrites the hosts files
 * once per batch, and each rewrite looked every running container up in /proc again: a hundred
 * starts read /proc some ten thousand times (issue 16). A container that ends has its record
 * rewritten (which brings a rewrite of its own); this check only catches one killed outright, and a
 * second's delay in dropping its name changes nothing a peer could notice.
 */
const seenAlive = new Map<string, number>();
const ALIVE_FOR_MS = 1000;

/** Whether a record is of a container that is up (its init alive). */
function isUp(record: ContainerRecord, now: number): boolean {
  if (record.state !== 'running' || record.run === undefined) return false;
  const key = `${record.run.pid} ${record.run.startTime}`;
  const seen = seenAlive.get(key);
  if (seen !== undefined && now - seen < ALIVE_FOR_MS) return true;
  const up = processRunning(record.run.pid, record.run.startTime);
  if (up) seenAlive.set(key, now);
  else seenAlive.delete(key);
  return up;
}

/** Forgets what is too old to be used (so a long-lived supervisor keeps no entry per container it ever saw). */
function forgetOldSightings(now: number): void {
  for (const [key, when] of seenAlive) if (now - when >= ALIVE_FOR_MS) seenAlive.delete(key);
}

/** Writes a new container's name files (its /etc/hosts knows itself only until it starts). */
export async function writeInitialNameFiles(root: string, record: ContainerRecord): Promise<void> {
  await writeNewNameFiles(containerPaths(root, record.project, record.name), hostsMember(record), [], resolvConfOf(record.spec));
}

/** A change waiting for the next rewrite of the hosts files. */
interface Queued {
  change: () => void;
  resolve(changed: string[]): void;
  reject(err: unknown): void;
}

/** Per state root: the changes waiting for the next rewrite, and whether one is under way. */
const queues = new Map<string, { waiting: Queued[]; running: boolean }>();

/**
 * Runs `change` (which writes a record: a container joined or left) and then rewrites the hosts
 * files of every running container, all under the lock; resolves with the containers whose file
 * changed. Changes that come while a rewrite is under way (or in the same turn of the event loop)
 * share the next one: a hundred containers starting at once do not each rewrite a hundred files
 * (issue 16). A change that throws rejects its own caller only.
 */
export function syncHosts(root: string, change: () => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let queue = queues.get(root);
    if (!queue) queues.set(root, (queue = { waiting: [], running: false }));
    queue.waiting.push({ change, resolve, reject });
    if (queue.waiting.length === 1 && !queue.running) setImmediate(() => void rewrite(root));
  });
}

/** Applies the waiting changes and rewrites the hosts files once for all of them; repeats while more came. */
async function rewrite(root: string): Promise<void> {
  const queue = queues.get(root)!;
  queue.running = true;
  while (queue.waiting.length > 0) {
    const batch = queue.waiting.splice(0);
    try {
      const { changed, failed } = await withFileLock(path.join(root, 'networks', 'hosts.lock'), async () => {
        const failed = new Map<Queued, unknown>();
        for (const q of batch) {
          try {
            q.change();
          } catch (err) {
            failed.set(q, err);
          }
        }
        const now = Date.now();
        const up = listRecords(root).filter((r) => isUp(r, now));
        const targets = up.map((r) => ({ member: hostsMember(r), hostsFile: path.join(containerDir(root, r.project, r.name), 'hosts') }));
        return { changed: await traced('hosts rewrite', `${batch.length} changes, ${targets.length} files`, () => updateHosts(targets)), failed };
      });
      forgetOldSightings(Date.now());
      for (const q of batch) {
        if (failed.has(q)) q.reject(failed.get(q));
        else q.resolve(changed);
      }
    } catch (err) {
      for (const q of batch) q.reject(err);
    }
  }
  queue.running = false;
  queues.delete(root);
}
