/**
 * Snapshots across several Docker engines (ships, issue 20): not done. One engine's runtime takes
 * them (snapshots/docker-snapshots.ts); over ships every snapshot command is refused in one line
 * (exit 2), before anything is touched.
 */
import { SnapshotError } from '../../errors.js';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../snapshot-types.js';

/** The refusal every snapshot method of the ships runtime throws. */
export function snapshotsUnsupported(): SnapshotError {
  return new SnapshotError('snapshot is not supported across ships (services on several Docker engines) yet; use one engine (no `ship:`) or the embedded runtime for `stack snapshot`, `stack reset` and `up --from-snapshot`');
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
