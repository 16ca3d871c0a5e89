/**
 * What a runtime reports of a snapshot (issue 20): a named, saved state of some of a project's
 * containers (their writable layers) and of the named volumes they use, which `stack reset` puts
 * them back to.
 */
import type { PortBinding } from './runtime.js';

/** One snapshot of a project, as `stack snapshot ls` lists it. */
export interface SnapshotInfo {
  name: string;
  project: string;
  /** Services whose containers it holds, sorted. */
  services: string[];
  /** Container names it holds, sorted. */
  containers: string[];
  /** Named volumes it holds (runtime names), sorted. */
  volumes: string[];
  /** Bytes of data it holds beyond the images (the uncompressed size of its layers). */
  size: number;
  /** ISO time it was taken. */
  createdAt: string;
}

/** How a snapshot is taken. */
export interface SnapshotOptions {
  /**
   * The containers are stopped already (`--stop`): captured as they rest. Otherwise running ones are
   * frozen (cgroup freezer) while their layers are copied, and thawed after.
   */
  stopped?: boolean;
}

/** How a reset is done. */
export interface ResetOptions {
  /** By container: the host ports it published before it was stopped, to publish on again (ports stay as they were). */
  ports?: Record<string, PortBinding[]>;
}
