/**
 * Stack networks as the runtime keeps them: a subnet from the Ipam, a bridge, and a record
 * `networks/<name>.json` in the project's state folder, so networks are listed and found by name.
 * Networks are named by their runtime name (`shop_default`); the project comes from the labels.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { NetworkSpec } from '../../runtime.js';
import type { Ledger } from '../ledger/ledger.js';
import { createBridge, removeBridge, type DebugLog, type Ipam } from '../network/index.js';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';
import { projectDir } from '../state/index.js';
import { listProjects, listRecords } from './container-record.js';
import { observeLive } from './stop-container.js';
import { hasLabels } from './volume-store.js';
import { openBridgeForOutbound } from '../rootless/container-route.js';
import { isRootless } from '../rootless/user-namespace.js';
import { traced } from '../../../trace.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A network as kept on disk. */
export interface NetworkRecord {
  name: string;
  project: string;
  labels: Record<string, string>;
  subnet: string;
  prefix: number;
  gateway: string;
  bridge: string;
  internal: boolean;
  createdAt: string;
}

function networksDir(root: string, project: string): string {
  return path.join(projectDir(root, project), 'networks');
}

function recordFile(root: string, project: string, name: string): string {
  if (!NAME.test(name)) throw new RuntimeError(`network ${JSON.stringify(name)}`, 'not a usable network name (letters, digits, "_", "." and "-")');
  return path.join(networksDir(root, project), `${name}.json`);
}

/** What making and removing networks needs. */
export interface NetworkContext {
  root: string;
  ipam: Ipam;
  ledger: (project: string) => Ledger;
  log: DebugLog;
}

/** Creates a network of `project`: subnet, bridge, record. An existing one is returned as it is. */
export async function createNetwork(ctx: NetworkContext, project: string, spec: NetworkSpec): Promise<NetworkRecord> {
  const file = recordFile(ctx.root, project, spec.name);
  const existing = readJsonFile<NetworkRecord>(file);
  if (existing) return existing;
  const alloc = await ctx.ipam.allocateNetwork(project, spec.name, spec.subnet);
  let bridge;
  try {
    bridge = await createBridge(ctx.ledger(project), { project, network: spec.name, subnet: alloc.subnet }, ctx.log);
    if (isRootless()) openBridgeForOutbound(bridge.name, spec.internal); // issue 17: the way out through the holder's slirp4netns
  } catch (err) {
    await ctx.ipam.releaseNetwork(project, spec.name);
    throw err;
  }
  const record: NetworkRecord = {
    name: spec.name,
    project,
    labels: { ...spec.labels },
    subnet: alloc.subnet,
    prefix: bridge.prefix,
    gateway: bridge.gateway,
    bridge: bridge.name,
    internal: spec.internal,
    createdAt: new Date().toISOString(),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, JSON.stringify(record, null, 1));
  return record;
}

/** Finds a network by runtime name, in `prefer` first, then in every other project. */
export function findNetwork(root: string, name: string, prefer?: string): NetworkRecord | undefined {
  const projects = listProjects(root);
  const order = prefer && projects.includes(prefer) ? [prefer, ...projects.filter((p) => p !== prefer)] : projects;
  for (const project of order) {
    const record = readJsonFile<NetworkRecord>(recordFile(root, project, name));
    if (record) return record;
  }
  return undefined;
}

/** Removes the network `name` unless a running container is on it. */
export async function removeUnusedNetwork(ctx: NetworkContext, name: string): Promise<void> {
  const record = findNetwork(ctx.root, name);
  if (!record) throw new RuntimeError(`network ${name}`, 'no such network');
  const users = listRecords(ctx.root).filter((r) => r.networks.some((n) => n.name === name) && observeLive(ctx.root, r).state === 'running');
  if (users.length > 0) throw new RuntimeError(`network ${name}`, `still in use by ${users.map((u) => u.name).join(', ')}; stop them first`);
  await removeNetwork(ctx, record);
}

/** Removes a network's bridge, gives its subnet back and deletes its record. */
export async function removeNetwork(ctx: NetworkContext, record: NetworkRecord): Promise<void> {
  await traced('network: bridge', record.name, () => removeBridge(ctx.ledger(record.project), { project: record.project, network: record.name }, ctx.log));
  await traced('network: subnet', record.name, () => ctx.ipam.releaseNetwork(record.project, record.name));
  fs.rmSync(recordFile(ctx.root, record.project, record.name), { force: true });
}

/** Every network whose labels include `labels`. */
export function listNetworks(root: string, labels: Record<string, string>): NetworkRecord[] {
  return listProjects(root).flatMap((project) => {
    let files: string[];
    try {
      files = fs.readdirSync(networksDir(root, project)).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    return files
      .map((f) => readJsonFile<NetworkRecord>(path.join(networksDir(root, project), f)))
      .filter((r): r is NetworkRecord => r !== undefined && hasLabels(r.labels, labels));
  });
}
