/**
 * The project's Swarm secrets and configs on the manager: each made once per content (named by
 * secrets.ts), found again by name on a later `up`, external ones looked up by their name; and the
 * ones an `up` left behind (their content changed) removed once no service uses them.
 */
import type Docker from 'dockerode';
import type { Stack } from '../../config/model.js';
import { UsageError } from '../../errors.js';
import { runtimeError } from '../docker/docker-errors.js';
import { fileObjectData, retiredObjects, swarmFileObjectSpec, type ListedObject, type SwarmObjectKind } from './secrets.js';
import type { SwarmObjectRef } from './service-spec.js';
import { projectFilter } from './stack-names.js';

/** Makes (or finds) the secrets or configs `keys` of the stack; returns key → Swarm object. */
export async function ensureFileObjects(docker: Docker, stack: Stack, kind: SwarmObjectKind, keys: readonly string[]): Promise<Record<string, SwarmObjectRef>> {
  const list = (name: string) => (kind === 'secret' ? docker.listSecrets({ filters: { name: [name] } }) : docker.listConfigs({ filters: { name: [name] } })) as Promise<ListedObject[]>;
  const out: Record<string, SwarmObjectRef> = {};
  for (const key of keys) {
    const obj = (kind === 'secret' ? stack.secrets : stack.configs)[key]!;
    if (obj.external) {
      const found = (await list(obj.name)).find((o) => o.Spec?.Name === obj.name);
      if (!found) throw new UsageError(`${kind}s.${key}: the external ${kind} "${obj.name}" is not on the swarm; create it (\`docker ${kind} create ${obj.name} FILE\`) or drop external`);
      out[key] = { id: found.ID, name: obj.name };
      continue;
    }
    // The data goes to the engine only, in the create request; never into a message.
    const spec = swarmFileObjectSpec(stack.name, kind, key, obj, await fileObjectData(obj));
    const found = (await list(spec.Name)).find((o) => o.Spec?.Name === spec.Name);
    if (found) {
      out[key] = { id: found.ID, name: spec.Name };
      continue;
    }
    try {
      const made = (await (kind === 'secret' ? docker.createSecret(spec) : docker.createConfig(spec))) as { id?: string; ID?: string };
      out[key] = { id: made.id ?? made.ID ?? '', name: spec.Name };
    } catch (err) {
      throw runtimeError(`${kind} ${spec.Name}`, 'create', err);
    }
  }
  return out;
}

/** Removes the project's secrets and configs that no current spec names (`current`: names in use); one still used stays. */
export async function retireFileObjects(docker: Docker, project: string, current: { secret: ReadonlySet<string>; config: ReadonlySet<string> }): Promise<string[]> {
  const filters = projectFilter(project);
  const [secrets, configs] = await Promise.all([docker.listSecrets({ filters }) as Promise<ListedObject[]>, docker.listConfigs({ filters }) as Promise<ListedObject[]>]);
  const removed: string[] = [];
  for (const o of retiredObjects(secrets, project, 'secret', current.secret)) {
    if (await docker.getSecret(o.ID).remove().then(() => true, () => false)) removed.push(o.Spec?.Name ?? o.ID);
  }
  for (const o of retiredObjects(configs, project, 'config', current.config)) {
    if (await docker.getConfig(o.ID).remove().then(() => true, () => false)) removed.push(o.Spec?.Name ?? o.ID);
  }
  return removed;
}
