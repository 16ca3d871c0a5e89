/**
 * A Plan: the operations that take a stack from what exists to what the file says, as a DAG. Data
 * only: the executor walks it and decides nothing; `stack plan` prints it; tests compare its text.
 */
import type { BuildSpec, Millis, PullPolicy } from '../config/model.js';

/** Every operation an executor must know how to do. A `switch` over it ends in a `never` check. */
export type OperationKind =
  | 'create-network'
  | 'create-volume'
  | 'build-image'
  | 'pull-image'
  | 'import-image'
  | 'create-container'
  | 'start-container'
  | 'wait-ready'
  | 'wait-exit'
  | 'stop-container'
  | 'remove-container'
  | 'remove-network'
  | 'remove-volume'
  | 'remove-image';

/** One container of a service, as operations on containers name it. */
export interface ContainerRef {
  service: string;
  /** Instance number, 1-based. */
  number: number;
  /** Runtime name, `<project>-<service>-<n>`. */
  container: string;
}

/** What each operation carries besides its resource, so the executor need not work anything out. */
export interface OperationPayloads {
  'create-network': { network: string; name: string };
  'create-volume': { volume: string; name: string };
  'build-image': { image: string; service: string; build: BuildSpec };
  'pull-image': { image: string; service: string; policy: PullPolicy };
  'import-image': { image: string; format: 'docker-archive' | 'oci'; path: string };
  'create-container': ContainerRef & { image: string; configHash: string };
  'start-container': ContainerRef;
  'wait-ready': { service: string; containers: string[]; healthcheck: boolean; ready: boolean };
  'wait-exit': { service: string; containers: string[]; exitCode: 0 };
  'stop-container': ContainerRef & { gracePeriod: Millis; signal: string };
  'remove-container': ContainerRef & { anonymousVolumes: boolean };
  'remove-network': { name: string };
  'remove-volume': { name: string };
  'remove-image': { image: string };
}

/** The part every node has. */
export interface PlanNodeBase {
  /** 1-based, in a topological order of the plan: a node's dependencies have smaller ids. */
  id: number;
  /** `network:shop_default`, `volume:shop_data`, `image:redis:7`, `container:shop-api-1`, `service:db`. */
  resource: string;
  /** A short word on how or why, printed in parentheses: `healthy`, `exit 0`, `recreate`, `orphan`. */
  detail?: string;
  /** Ids of the nodes that must finish first, ascending. */
  dependsOn: number[];
}

/** A node of one kind. */
export type PlanNodeOf<K extends OperationKind> = PlanNodeBase & { operation: K } & OperationPayloads[K];

/** One operation of a plan; narrow it with a `switch` on `operation`. */
export type PlanNode = { [K in OperationKind]: PlanNodeOf<K> }[OperationKind];

/** What `up` or `down` will do to one project. */
export interface Plan {
  project: string;
  action: 'up' | 'down';
  /** Ordered by id. */
  nodes: PlanNode[];
  /** Containers of the project whose service is no longer in the stack file. */
  orphans: string[];
}

/** Compile-time proof that a `switch` handled every case (operation kinds, conditions, …). */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
