/** The labels that mark what the swarm runtime makes as a project's, for hafen and for `docker stack ls/ps`. */
import { Label } from '../runtime.js';

/** `docker stack deploy`'s project label: `docker stack ls` and `docker stack ps NAME` list by it. */
export const STACK_NAMESPACE = 'com.docker.stack.namespace';

/** The labels of a project's service (and its containers), or of a project-wide resource when `service` is absent. */
export function swarmLabels(project: string, service?: string): Record<string, string> {
  return { [Label.project]: project, [STACK_NAMESPACE]: project, ...(service !== undefined ? { [Label.service]: service } : {}) };
}

/** The engine's list filter for everything of `project`. */
export function projectFilter(project: string): { label: string[] } {
  return { label: [`${Label.project}=${project}`] };
}
