/**
 * The snapshot methods of the Docker runtime (issue 20), over one engine: `docker commit` of the
 * containers and copies of their volumes (take-docker-snapshot.ts), containers made again from
 * those images and volumes copied back (reset-docker-snapshot.ts), listed and removed by label.
 */
import type Docker from 'dockerode';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../../snapshot-types.js';
import { checkSnapshotName } from '../../embedded/snapshots/snapshot-record.js';
import { requireDockerSnapshot, resetDockerSnapshot } from './reset-docker-snapshot.js';
import { removeSnapshotImages, snapshotImages, snapshotInfos } from './snapshot-store.js';
import { takeDockerSnapshot } from './take-docker-snapshot.js';
import { saveDockerSnapshot, volumeCopyFromImage } from './snapshot-archive.js';

/** Runtime's snapshot methods on `docker`; `remove` removes a container as the runtime does (its stop records too). */
export function dockerSnapshots(docker: Docker, remove: (container: string) => Promise<void>) {
  return {
    snapshot(project: string, name: string, containers: string[], opts?: SnapshotOptions): Promise<SnapshotInfo> {
      return takeDockerSnapshot(docker, project, name, containers, opts);
    },
    async listSnapshots(project: string): Promise<SnapshotInfo[]> {
      return snapshotInfos(project, await snapshotImages(docker, project));
    },
    async removeSnapshot(project: string, name: string): Promise<void> {
      checkSnapshotName(name);
      await requireDockerSnapshot(docker, project, name);
      await removeSnapshotImages(docker, await snapshotImages(docker, project, name));
    },
    async resetToSnapshot(project: string, name: string, containers: string[], opts?: ResetOptions): Promise<void> {
      // A snapshot brought by `docker load` of a saved archive has its volumes as images: made volumes again first.
      const held = [...(await requireDockerSnapshot(docker, project, name)).values()];
      for (const [volume, copy] of Object.entries(held[0]!.volumes)) await volumeCopyFromImage(docker, project, volume, copy, name);
      return resetDockerSnapshot(docker, project, name, containers, opts ?? {}, remove);
    },
    /** `stack image save --snapshot NAME`: the snapshot as one docker-archive; resolves to the image names in it. */
    saveSnapshot(project: string, name: string, file: string): Promise<string[]> {
      checkSnapshotName(name);
      return saveDockerSnapshot(docker, project, name, file);
    },
  };
}
