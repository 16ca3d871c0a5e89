/**
 * Resetting containers onto a snapshot (issue 20): each stopped container gets a new, empty
 * writable layer over the snapshot's layers (its record names them; the old upper dir is renamed
 * away), and each named volume of the snapshot they use, and each of their anonymous volumes it
 * holds, is reset the same way (layered-volume.ts, anonymous-volumes.ts).
 * No data is copied and none is deleted on the way: the cost is a few renames and mkdirs, whatever
 * the size. The folders renamed away are returned for the caller to delete after the reset (the
 * supervisor does it while the services start, and waits for it before `down` and before it exits).
 */
import fs from 'node:fs';
import { RuntimeError, SnapshotError } from '../../../errors.js';
import type { PortBinding } from '../../runtime.js';
import type { ResetOptions } from '../../snapshot-types.js';
import { writeRecord, listRecords, type ContainerRecord } from '../containers/container-record.js';
import type { RuntimeContext } from '../containers/runtime-context.js';
import { findVolume } from '../containers/volume-store.js';
import { containerPaths } from '../state/index.js';
import { traced } from '../../../trace.js';
import { discard, freshDir, layerDirsTopFirst, resetVolume, run } from './layered-volume.js';
import { requireSnapshot, type SnapshotRecord } from './snapshot-record.js';
import { anonymousVolumes } from './anonymous-volumes.js';

/** What the caller knows of the containers: whether one runs now. */
export type IsRunning = (record: ContainerRecord) => boolean;

/** Checks that the snapshot holds each container, on the image it has now, and that none runs. */
function checkResettable(snapshot: SnapshotRecord, records: ContainerRecord[], running: IsRunning): void {
  for (const r of records) {
    const held = snapshot.containers[r.name];
    if (!held) throw new SnapshotError(`snapshot ${snapshot.name} does not hold container ${r.name} (it holds ${Object.keys(snapshot.containers).join(', ') || 'none'}); take a snapshot of it first`);
    if (held.image !== r.image.digest) throw new SnapshotError(`container ${r.name} was made from another image than snapshot ${snapshot.name} (recreated since?); take the snapshot again`);
    if (running(r)) throw new RuntimeError(`container ${r.name}`, 'is running; stop it before a reset');
  }
}

/** Gives one stopped container a fresh writable layer over `layers`; returns the folders to delete. */
function resetContainerLayer(ctx: RuntimeContext, record: ContainerRecord, layers: string[], ports: PortBinding[] | undefined): string[] {
  const paths = containerPaths(ctx.root, record.project, record.name);
  layerDirsTopFirst(ctx.store, layers, `container ${record.name}`); // all there, before anything moves
  const oldUpper = discard(paths.upper);
  const oldWork = discard(paths.work);
  // The new upper's root is the container's `/`: as the old one was (0755 root unless a snapshot's layer says otherwise).
  freshDir(paths.upper, oldUpper, 0o755);
  fs.mkdirSync(paths.work, { mode: 0o700 });
  writeRecord(ctx.root, { ...record, snapshotLayers: layers, ...(ports?.length ? { keptPorts: ports } : {}) });
  ctx.log(`Reset container ${record.name} onto ${layers.length} snapshot layers`);
  return [oldUpper, oldWork].filter((p): p is string => p !== undefined);
}

/**
 * Resets `records` (stopped containers of `project`) and the snapshot's volumes they use onto
 * snapshot `name`. Resolves to the discarded folders (old upper and work dirs), to be deleted.
 */
export async function resetToSnapshot(ctx: RuntimeContext, project: string, name: string, records: ContainerRecord[], running: IsRunning, opts: ResetOptions = {}): Promise<string[]> {
  const snapshot = requireSnapshot(ctx.root, project, name);
  checkResettable(snapshot, records, running);
  const volumeNames = [...new Set(records.flatMap((r) => r.spec.mounts.flatMap((m) => (m.type === 'volume' && m.source in snapshot.volumes ? [m.source] : []))))];
  const reset = new Set(records.map((r) => r.name));
  for (const v of volumeNames) {
    const users = listRecords(ctx.root).filter((r) => !reset.has(r.name) && r.spec.mounts.some((m) => m.type === 'volume' && m.source === v) && running(r));
    if (users.length > 0) throw new SnapshotError(`volume ${v} is also used by running container ${users.map((u) => u.name).join(', ')}; reset its service too, or stop it first`);
  }
  const gone: string[] = [];
  for (const r of records) gone.push(...(await traced('reset: writable layer', r.name, () => resetContainerLayer(ctx, r, snapshot.containers[r.name]!.layers, opts.ports?.[r.name]))));
  for (const v of volumeNames) {
    const found = findVolume(ctx.root, v, project);
    if (found) gone.push(...(await traced('reset: volume', v, () => resetVolume(ctx, found, snapshot.volumes[v]!.layers))));
  }
  // Anonymous volumes the snapshot holds (one taken before they were captured holds none: they are left as they are).
  for (const r of records) {
    const held = snapshot.containers[r.name]!.anonymous ?? {};
    for (const a of anonymousVolumes(ctx.root, r).filter((a) => a.target in held)) {
      gone.push(...(await traced('reset: anonymous volume', `${r.name}:${a.target}`, () => resetVolume(ctx, a.volume, held[a.target]!.layers))));
    }
  }
  return gone;
}

/**
 * Deletes discarded folders (what resetToSnapshot returns); nothing of the discarded layers stays.
 * By `rm` at the lowest priority, in a process of its own: deleting a seeded layer's thousands of
 * files in the supervisor (one callback each) slowed the start it runs beside.
 */
export async function deleteDiscarded(gone: readonly string[]): Promise<void> {
  if (gone.length === 0) return;
  await traced('reset: delete discarded', String(gone.length), () => run('nice', ['-n', '19', 'rm', '-rf', '--one-file-system', '--', ...gone], 'the layers a reset discarded'));
}
