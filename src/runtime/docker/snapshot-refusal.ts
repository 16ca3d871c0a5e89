/**
 * Snapshots on the Docker runtime (issue 20): not done yet. `docker commit` of the containers and
 * copies of the volumes would do it (slower than the embedded runtime's layers), so until then every
 * snapshot command is refused in one line (exit 2), before anything is touched.
 */
import { SnapshotError } from '../../errors.js';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../snapshot-types.js';

/** The refusal every snapshot method of a Docker runtime throws. */
export function snapshotsUnsupported(): SnapshotError {
  return new SnapshotError('snapshot is not supported on the Docker runtime yet; use the embedded runtime (--runtime embedded) for `stack snapshot`, `stack reset` and `up --from-snapshot`');
}

/** The snapshot methods of Runtime, each refusing. */
export const refusedSnapshots = {
  snapshot(_project: string, _name: string, _containers: string[], _opts?: SnapshotOptions): Promise<SnapshotInfo> {
    return Promise.reject(snapshotsUnsupported());
  },
  listSnapshots(_project: string): Promise<SnapshotInfo[]> {
    return Promise.reject(snapshotsUnsupported());
  },
  removeSnapshot(_project: string, _name: string): Promise<void> {
    return Promise.reject(snapshotsUnsupported());
  },
  resetToSnapshot(_project: string, _name: string, _containers: string[], _opts?: ResetOptions): Promise<void> {
    return Promise.reject(snapshotsUnsupported());
  },
};
