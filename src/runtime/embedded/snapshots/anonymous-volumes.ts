/**
 * A container's anonymous volumes (a `volumes: [/data]` entry, or an image VOLUME nothing is mounted
 * on) as snapshots see them (issue 20): the container's own state, kept in its folder
 * (`anon/<n>/`), so captured and reset as named volumes are. Once reset onto a snapshot one is
 * layered exactly as a named volume (layered-volume.ts): a record `anon/<n>.json` beside it names
 * its layers, its upper and work dirs sit beside it too, and its overlay is mounted on its folder
 * (before the container starts; unmounted before the container's folder is removed). All of it
 * goes with the container.
 */
import path from 'node:path';
import type { ContainerRecord } from '../containers/container-record.js';
import type { RuntimeContext } from '../containers/runtime-context.js';
import type { FoundVolume, VolumeRecord } from '../containers/volume-store.js';
import { containerPaths } from '../state/index.js';
import { readJsonFile } from '../store/atomic.js';
import { mountLayeredVolume, unmountLayeredVolume } from './layered-volume.js';

/** One anonymous volume of a container: where it is mounted in the container, and the volume. */
export interface AnonymousVolume {
  target: string;
  volume: FoundVolume;
}

/** The anonymous volumes of `record` (binds from its own `anon/` folder), in bind order. */
export function anonymousVolumes(root: string, record: ContainerRecord): AnonymousVolume[] {
  const anon = path.join(containerPaths(root, record.project, record.name).dir, 'anon');
  return record.binds
    .filter((b) => path.dirname(b.source) === anon)
    .map((b) => {
      const kept = readJsonFile<VolumeRecord>(`${b.source}.json`);
      const volume: VolumeRecord = kept ?? { name: `${record.name}:${b.target}`, project: record.project, labels: {}, createdAt: record.createdAt };
      return { target: b.target, volume: { record: volume, dir: b.source } };
    });
}

/** The snapshot layers the anonymous volumes of `record` stand on. */
export function anonymousLayers(root: string, record: ContainerRecord): string[] {
  return anonymousVolumes(root, record).flatMap((a) => a.volume.record.layers ?? []);
}

/** Mounts the layered anonymous volumes of `record` that are not mounted (before it starts). */
export async function mountAnonymousVolumes(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  for (const a of anonymousVolumes(ctx.root, record)) await mountLayeredVolume(ctx, a.volume);
}

/** Unmounts the layered anonymous volumes of `record` (before its folder is removed). */
export async function unmountAnonymousVolumes(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  for (const a of anonymousVolumes(ctx.root, record)) if (a.volume.record.layers) await unmountLayeredVolume(ctx, a.volume);
}
