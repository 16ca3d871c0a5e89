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
    resetToSnapshot(project: string, name: string, containers: string[], opts?: ResetOptions): Promise<void> {
      return resetDockerSnapshot(docker, project, name, containers, opts ?? {}, remove);
    },
  };
}
