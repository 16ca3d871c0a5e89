/**
 * Snapshots of a stack spread over ships (issue 20): each ship keeps the snapshot of the containers
 * it runs, as its own runtime does (a Docker engine commits them and copies their volumes there; an
 * embedded ship layers them), under the same name. A snapshot is taken on every ship holding some of
 * the containers, at the same time but not in one instant (each ship holds its own still); listing
 * merges the ships' parts of each name; a reset puts each ship's containers back on that ship.
 */
import { noSuchSnapshot } from '../../errors.js';
import type { Runtime } from '../runtime.js';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../snapshot-types.js';

/** What the ships runtime lends: its ships' runtimes by key, and the ship of a container. */
export interface ShipsOfProject {
  runtimes: Map<string, Runtime>;
  shipOf(container: string): Promise<string>;
}

/** `containers` grouped by the ship each runs on. */
async function byShip(ships: ShipsOfProject, containers: readonly string[]): Promise<Map<string, string[]>> {
  const groups = new Map<string, string[]>();
  for (const c of containers) {
    const key = await ships.shipOf(c);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return groups;
}

/** The ships' parts of each snapshot merged into one per name, oldest first (as one runtime lists them). */
export function mergeSnapshotInfos(parts: readonly SnapshotInfo[]): SnapshotInfo[] {
  const byName = new Map<string, SnapshotInfo>();
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
  for (const s of parts) {
    const had = byName.get(s.name);
    byName.set(s.name, had ? {
      ...had,
      services: union(had.services, s.services),
      containers: union(had.containers, s.containers),
      volumes: union(had.volumes, s.volumes),
      size: had.size + s.size,
      createdAt: had.createdAt < s.createdAt ? had.createdAt : s.createdAt,
    } : { ...s });
  }
  return [...byName.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

/** Every ship's snapshots of `project`, merged by name. */
export async function listShipSnapshots(ships: ShipsOfProject, project: string): Promise<SnapshotInfo[]> {
  return mergeSnapshotInfos((await Promise.all([...ships.runtimes.values()].map((r) => r.listSnapshots(project)))).flat());
}

/** Settles all of `work`, then throws the first failure (so no ship is left midway by another's). */
async function allOf<T>(work: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/**
 * Takes snapshot `name` of `containers` on the ships they run on, at once; a snapshot of that name
 * is replaced wholly (the part a ship with none of the containers held goes too).
 */
export async function takeShipSnapshot(ships: ShipsOfProject, project: string, name: string, containers: readonly string[], opts?: SnapshotOptions): Promise<SnapshotInfo> {
  const groups = await byShip(ships, containers);
  const parts = await allOf([...groups].map(([key, held]) => ships.runtimes.get(key)!.snapshot(project, name, held, opts)));
  for (const key of await shipsHolding(ships, project, name)) if (!groups.has(key)) await ships.runtimes.get(key)!.removeSnapshot(project, name);
  return mergeSnapshotInfos(parts)[0]!;
}

/** The keys of the ships holding part of snapshot `name`. */
export async function shipsHolding(ships: ShipsOfProject, project: string, name: string): Promise<string[]> {
  const holding: string[] = [];
  for (const [key, runtime] of ships.runtimes) if ((await runtime.listSnapshots(project)).some((s) => s.name === name)) holding.push(key);
  return holding;
}

/** Removes snapshot `name` from every ship holding part of it; refused when none does. */
export async function removeShipSnapshot(ships: ShipsOfProject, project: string, name: string): Promise<void> {
  const holding = await shipsHolding(ships, project, name);
  if (holding.length === 0) {
    const known = (await listShipSnapshots(ships, project)).map((s) => s.name);
    throw noSuchSnapshot(project, name, known);
  }
  for (const key of holding) await ships.runtimes.get(key)!.removeSnapshot(project, name);
}

/** Resets stopped `containers` onto snapshot `name`, each on its own ship (with the ports it published there). */
export async function resetShipSnapshot(ships: ShipsOfProject, project: string, name: string, containers: readonly string[], opts: ResetOptions = {}): Promise<void> {
  const groups = await byShip(ships, containers);
  await allOf([...groups].map(([key, held]) => {
    const ports = opts.ports ? Object.fromEntries(held.filter((c) => opts.ports![c]).map((c) => [c, opts.ports![c]!])) : undefined;
    return ships.runtimes.get(key)!.resetToSnapshot(project, name, held, ports ? { ports } : {});
  }));
}
