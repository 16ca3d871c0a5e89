/**
 * Making and removing a project's Swarm resources through the manager: services (created, updated
 * to a new spec, or left alone when their spec is unchanged), overlay networks, and what `down`
 * removes by the project's label (services, networks, secrets, configs).
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { Label } from '../runtime.js';
import { isNotFound, runtimeError } from '../docker/docker-errors.js';
import { projectFilter } from './stack-names.js';

/** What `ensureService` did. */
/** `scaled`: only the replica count went back to the file's (after `scale`, or an attached `up`'s stop); the live spec kept. */
export type ServiceChange = 'created' | 'updated' | 'scaled' | 'unchanged';

/** A service as listed by the manager. */
export interface ListedService {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: Docker.ServiceSpec;
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number; CompletedTasks?: number };
}

/** The hash of a spec, kept in a label so a second `up` leaves an unchanged service alone. */
export function specHash(spec: Docker.ServiceSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/** The project's services (with their task counts), by Swarm name. */
export async function projectServices(docker: Docker, project: string): Promise<Map<string, ListedService>> {
  // `status` asks the manager for running/desired task counts (Engine API 1.41).
  const list = (await docker.listServices({ filters: projectFilter(project), status: true })) as ListedService[];
  return new Map(list.map((s) => [s.Spec?.Name ?? s.ID, s]));
}

/** Creates the service, or updates it when its spec changed; returns what was done and the service as it is now. */
export async function ensureService(docker: Docker, spec: Docker.ServiceSpec, existing: ListedService | undefined): Promise<{ change: ServiceChange; service: ListedService }> {
  const hash = specHash(spec);
  const labelled: Docker.ServiceSpec = { ...spec, Labels: { ...spec.Labels, [Label.configHash]: hash } };
  const resource = `service ${spec.Name}`;
  const sameMode = JSON.stringify(existing?.Spec?.Mode) === JSON.stringify(spec.Mode);
  if (existing && existing.Spec?.Labels?.[Label.configHash] === hash && sameMode) return { change: 'unchanged', service: existing };
  try {
    if (existing && existing.Spec?.Labels?.[Label.configHash] === hash) {
      // Only the replicas moved: set them back, keeping the rest (a restart's ForceUpdate) so no task rolls for it.
      await docker.getService(existing.ID).update({ _query: { version: existing.Version?.Index ?? 0 }, _body: { ...existing.Spec, Mode: spec.Mode } } as object);
      return { change: 'scaled', service: (await docker.getService(existing.ID).inspect()) as ListedService };
    }
    if (existing) {
      await docker.getService(existing.ID).update({ _query: { version: existing.Version?.Index ?? 0 }, _body: labelled } as object);
      return { change: 'updated', service: (await docker.getService(existing.ID).inspect()) as ListedService };
    }
    const made = (await docker.createService(labelled)) as { id?: string; ID?: string };
    return { change: 'created', service: (await docker.getService(made.id ?? made.ID ?? '').inspect()) as ListedService };
  } catch (err) {
    throw runtimeError(resource, existing ? 'update' : 'create', err);
  }
}

/** Whether a network of that name exists on the manager. */
export async function networkExists(docker: Docker, name: string): Promise<boolean> {
  const found = (await docker.listNetworks({ filters: { name: [name] } })) as { Name: string }[];
  return found.some((n) => n.Name === name);
}

/** Creates the overlay network. */
export async function createNetwork(docker: Docker, spec: Docker.NetworkCreateOptions): Promise<void> {
  try {
    await docker.createNetwork(spec);
  } catch (err) {
    throw runtimeError(`network ${spec.Name}`, 'create', err);
  }
}

/** Removes a service; a service already gone is fine. */
export async function removeService(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getService(id).remove();
  } catch (err) {
    if (!isNotFound(err)) throw runtimeError(`service ${id}`, 'remove', err);
  }
}

/** The project's networks, secrets and configs on the manager, by name and id. */
export async function projectLeftovers(docker: Docker, project: string): Promise<{ networks: { id: string; name: string }[]; secrets: { id: string; name: string }[]; configs: { id: string; name: string }[] }> {
  const filters = projectFilter(project);
  const [networks, secrets, configs] = await Promise.all([
    docker.listNetworks({ filters }) as Promise<{ Id: string; Name: string }[]>,
    docker.listSecrets({ filters }) as Promise<{ ID: string; Spec?: { Name?: string } }[]>,
    docker.listConfigs({ filters }) as Promise<{ ID: string; Spec?: { Name?: string } }[]>,
  ]);
  return {
    networks: networks.map((n) => ({ id: n.Id, name: n.Name })),
    secrets: secrets.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? s.ID })),
    configs: configs.map((c) => ({ id: c.ID, name: c.Spec?.Name ?? c.ID })),
  };
}
