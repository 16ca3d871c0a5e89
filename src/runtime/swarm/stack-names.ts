/**
 * Labels and names a stack's Swarm objects carry: hafen's own (`io.hafen.project`, …) so `down`
 * finds them by label, and docker stack deploy's, so `docker stack ls/ps/rm` see the stack too.
 */
import { Label } from '../runtime.js';

/** docker stack deploy's label naming the stack of a service, network, volume, secret or config. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
/** docker stack deploy's label with the image as the stack file names it. */
export const STACK_IMAGE_LABEL = 'com.docker.stack.image';

/** A stack object's name on the swarm, as docker stack deploy scopes it: `<project>_<name>`. */
export function scopedName(project: string, name: string): string {
  return `${project}_${name}`;
}

/** The labels every Swarm object of the project carries (ours win over the file's of the same name). */
export function projectLabels(project: string, own: Record<string, string> = {}): Record<string, string> {
  return { ...own, [STACK_NAMESPACE_LABEL]: project, [Label.project]: project };
}

/** The engine's list filter for everything of `project` (services, networks, secrets, configs). */
export function projectFilter(project: string): { label: string[] } {
  return { label: [`${Label.project}=${project}`] };
}
