/** Replicas expanded to instances: `api` with `replicas: 2` runs as `api-1` and `api-2`, as in Compose. */
import type { Stack } from '../config/model.js';

/** One container of a service. */
export interface Instance {
  service: string;
  /** 1-based. */
  number: number;
  /** `<service>-<n>`: the instance's own host name next to the service name. */
  name: string;
  /** `<project>-<service>-<n>`: the container's name on the runtime. */
  containerName: string;
}

/** The container name of a service's instance `n`. */
export function containerName(project: string, service: string, n: number): string {
  return `${project}-${service}-${n}`;
}

/** The instances `replicas` asks for, numbered from 1. */
export function expandInstances(stack: Stack, service: string): Instance[] {
  const replicas = stack.services[service]?.replicas ?? 0;
  const out: Instance[] = [];
  for (let n = 1; n <= replicas; n++) {
    out.push({ service, number: n, name: `${service}-${n}`, containerName: containerName(stack.name, service, n) });
  }
  return out;
}
