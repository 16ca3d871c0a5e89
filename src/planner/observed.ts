/**
 * One snapshot of what a runtime has for a project, taken once before planning (as docker compose
 * does). The planner compares it with the stack; it never asks the runtime anything itself.
 */

/** Container states the planner tells apart. */
export type ObservedContainerState = 'running' | 'exited' | 'created';

/** A container the runtime has, as its labels and inspect data describe it. */
export interface ObservedContainer {
  /** Runtime name, e.g. `shop-api-1`. */
  name: string;
  /** `io.hafen.project`. */
  project: string;
  /** `io.hafen.service`. */
  service: string;
  /** Instance number, 1-based. */
  number: number;
  /** `io.hafen.config-hash`: `configHash()` of the service when the container was made. */
  configHash: string;
  state: ObservedContainerState;
  /** Exit code when `exited`. */
  exitCode?: number;
  /** It ended because a stop or kill was asked for, not by itself. */
  stopRequested?: boolean;
  /** Runtime names of the networks it is attached to, e.g. `shop_default`. */
  networks: string[];
  /** Runtime names of the named volumes it mounts, e.g. `shop_pgdata`. */
  volumes: string[];
  /** Image reference it was made from, e.g. `shop-api` or `redis:7`. */
  image?: string;
  /** ID of that image when the container was made; a different ID now means the image changed. */
  imageId?: string;
}

/** A network or volume the runtime has for the project, by its runtime name (`shop_default`). */
export interface ObservedResource {
  name: string;
  project: string;
}

/** What exists, for one project. */
export interface ObservedState {
  /**
   * False when no runtime was asked (e.g. `stack plan` with nothing running to look at): then `down`
   * plans the removal of everything the stack declares. True for a real snapshot, even an empty one.
   */
  known: boolean;
  containers: ObservedContainer[];
  networks: ObservedResource[];
  volumes: ObservedResource[];
  /** References of images present locally (`shop-api`, `redis:7`, `docker-archive:/x.tar`). */
  images: string[];
  /** Current image IDs by reference as the stack names it (`shop-api`), where the runtime knows them. */
  imageIds?: Record<string, string>;
}

/** Nothing observed: no runtime asked. */
export function emptyObservedState(): ObservedState {
  return { known: false, containers: [], networks: [], volumes: [], images: [] };
}
