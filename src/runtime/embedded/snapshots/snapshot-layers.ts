/**
 * Which snapshot layers are still needed (issue 20): those a snapshot record, a container reset
 * onto a snapshot, or a layered volume stands on, in any project. `prune` keeps them (they are
 * pinned), and removing a snapshot removes only the layers nothing else names.
 */
import type { RuntimeContext } from '../containers/runtime-context.js';
import { listRecords, listProjects } from '../containers/container-record.js';
import { listVolumes } from '../containers/volume-store.js';
import fs from 'node:fs';
import { deleteSnapshotRecord, layersOf, listSnapshotRecords, removeEmptySnapshotsDir, projectsWithSnapshots, requireSnapshot, snapshotsDir } from './snapshot-record.js';
import type { Digest } from '../layers/index.js';
import { anonymousLayers } from './anonymous-volumes.js';

/** Every layer a snapshot, a container (its root filesystem, its anonymous volumes) or a volume under `root` stands on (ChainIDs). */
export function snapshotPins(root: string): Set<Digest> {
  const pins = new Set<string>();
  for (const project of new Set([...projectsWithSnapshots(root), ...listProjects(root)])) {
    for (const s of listSnapshotRecords(root, project)) {
      layersOf(s).forEach((l) => pins.add(l));
    }
  }
  for (const r of listRecords(root)) [...(r.snapshotLayers ?? []), ...anonymousLayers(root, r)].forEach((l) => pins.add(l));
  for (const v of listVolumes(root, {})) (v.layers ?? []).forEach((l) => pins.add(l));
  return pins as Set<Digest>;
}

/** Removes those of `candidates` that nothing names any more (a layer above one kept is itself a candidate only if listed). */
export function removeUnreferencedLayers(ctx: RuntimeContext, candidates: readonly string[]): number {
  const pins = snapshotPins(ctx.root);
  // An image's own layer is never a snapshot's to remove (a snapshot of an unchanged container names none).
  const imageLayers = new Set(ctx.store.images.list().flatMap((ref) => ctx.store.images.get(ref.manifest)?.chainIds ?? []));
  let removed = 0;
  for (const id of new Set(candidates) as Set<Digest>) {
    if (pins.has(id) || imageLayers.has(id)) continue;
    const layer = ctx.store.layers.get(id);
    if (!layer) continue;
    ctx.store.layers.remove(id);
    if (!ctx.store.layers.list().some((l) => l.blob === layer.blob)) ctx.store.blobs.remove(layer.blob);
    removed++;
  }
  if (removed > 0) ctx.log(`Removed ${removed} snapshot layers`);
  return removed;
}

/** Removes snapshot `name` of `project` and the layers only it held; a SnapshotError when there is none. */
export function removeSnapshot(ctx: RuntimeContext, project: string, name: string): void {
  const record = requireSnapshot(ctx.root, project, name);
  deleteSnapshotRecord(ctx.root, project, name);
  removeUnreferencedLayers(ctx, layersOf(record));
  ctx.log(`Removed snapshot ${name} of project ${project}`);
}

/** Removes every snapshot of `project` (`down -v`) and the layers only they held. */
export function removeProjectSnapshots(ctx: RuntimeContext, project: string): void {
  const records = listSnapshotRecords(ctx.root, project);
  for (const r of records) deleteSnapshotRecord(ctx.root, project, r.name);
  fs.rmSync(snapshotsDir(ctx.root, project), { recursive: true, force: true });
  removeEmptySnapshotsDir(ctx.root);
  if (records.length > 0) removeUnreferencedLayers(ctx, records.flatMap(layersOf));
}
