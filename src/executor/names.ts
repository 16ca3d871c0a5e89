/** How events name the containers and services they are about. */
import type { Stack } from '../config/model.js';
import type { ContainerRef, PlanNode } from '../planner/plan.js';
import type { OpFields, Subject } from './events.js';

/** `db` for a service that runs one container, `api-2` for an instance of one with replicas (or gone from the file). */
export function displayName(stack: Stack, service: string, number: number): string {
  const replicas = stack.services[service]?.replicas;
  return replicas === 1 && number === 1 ? service : `${service}-${number}`;
}

/** The subject of events about one container. */
export function containerSubject(stack: Stack, ref: ContainerRef): Subject {
  return { service: ref.service, name: displayName(stack, ref.service, ref.number), container: ref.container };
}

/** The subject of events about a container known only by its runtime name (a wait node's list). */
export function subjectOf(stack: Stack, service: string, container: string): Subject {
  const number = Number(/-(\d+)$/.exec(container)?.[1] ?? 1);
  return { service, name: displayName(stack, service, number), container };
}

/** What every operation event says about `node`. */
export function opFields(stack: Stack, node: PlanNode): OpFields {
  const base: OpFields = { id: node.id, operation: node.operation, resource: node.resource };
  if (node.detail) base.detail = node.detail;
  switch (node.operation) {
    case 'create-container':
    case 'start-container':
    case 'stop-container':
    case 'remove-container':
      return { ...base, service: node.service, name: displayName(stack, node.service, node.number) };
    case 'wait-ready':
    case 'wait-exit':
      return { ...base, service: node.service, name: node.service };
    default:
      return base;
  }
}

/** Display names of the containers a plan touches, each once, in plan order. */
export function containerNames(stack: Stack, nodes: readonly PlanNode[]): string[] {
  const out = new Set<string>();
  for (const node of nodes) {
    const fields = opFields(stack, node);
    if (fields.name && node.resource.startsWith('container:')) out.add(fields.name);
  }
  return [...out];
}
