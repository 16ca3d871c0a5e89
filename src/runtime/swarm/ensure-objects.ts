/**
 * Making sure the secrets and configs a deploy refers to are in the swarm: each non-external one
 * under its content name (secrets.ts), created when missing; each external one found by its name.
 * Gives the refs swarmServiceSpec takes, and removes what an update retired.
 */
import type Docker from 'dockerode';
import type { Stack } from '../../config/model.js';
import { RuntimeError } from '../../errors.js';
import { fileObjectData, retiredObjects, swarmFileObjectSpec, type ListedObject, type SwarmFileObjectSpec, type SwarmObjectKind } from './secrets.js';
import type { SwarmObjectRef } from './service-spec.js';

/** The calls made on a swarm manager's engine for secrets and configs. */
export interface SwarmObjectsApi {
  list(kind: SwarmObjectKind): Promise<ListedObject[]>;
  /** Creates the object; its id. */
  create(kind: SwarmObjectKind, spec: SwarmFileObjectSpec): Promise<string>;
  remove(kind: SwarmObjectKind, id: string): Promise<void>;
}

/** A dockerode client of a swarm manager as a SwarmObjectsApi. */
export function engineObjectsApi(docker: Docker): SwarmObjectsApi {
  return {
    list: async (kind) => (kind === 'secret' ? docker.listSecrets() : docker.listConfigs()) as Promise<ListedObject[]>,
    create: async (kind, spec) => (kind === 'secret' ? await docker.createSecret(spec) : await docker.createConfig(spec)).id,
    remove: async (kind, id) => {
      await (kind === 'secret' ? docker.getSecret(id) : docker.getConfig(id)).remove();
    },
  };
}

/**
 * The swarm objects for the stack's `keys` of `kind` (those the deployed services use), made when
 * missing. The same data gives the same name, so a second deploy creates nothing.
 */
export async function ensureFileObjects(api: SwarmObjectsApi, stack: Stack, kind: SwarmObjectKind, keys: Iterable<string>): Promise<Record<string, SwarmObjectRef>> {
  const defs = kind === 'secret' ? stack.secrets : stack.configs;
  const listed = await api.list(kind);
  const byName = new Map(listed.map((o) => [o.Spec?.Name ?? '', o.ID]));
  const refs: Record<string, SwarmObjectRef> = {};
  for (const key of new Set(keys)) {
    const obj = defs[key];
    if (!obj) throw new Error(`internal: no top-level ${kind} "${key}"`);
    if (obj.external) {
      const id = byName.get(obj.name);
      if (id === undefined) throw new RuntimeError(`${kind} ${key}`, `is external, but the swarm has no ${kind} named "${obj.name}"; create it first (docker ${kind} create ${obj.name} FILE)`);
      refs[key] = { id, name: obj.name };
      continue;
    }
    const spec = swarmFileObjectSpec(stack.name, kind, key, obj, await fileObjectData(obj));
    const id = byName.get(spec.Name) ?? (await api.create(kind, spec));
    byName.set(spec.Name, id);
    refs[key] = { id, name: spec.Name };
  }
  return refs;
}

/**
 * Removes the project's objects of `kind` that are not among `current` (the names the services now
 * use). Run after the services' updates completed; one still in use (a service not updated yet)
 * is kept and named in the result.
 */
export async function retireFileObjects(api: SwarmObjectsApi, project: string, kind: SwarmObjectKind, current: ReadonlySet<string>): Promise<{ removed: string[]; inUse: string[] }> {
  const out = { removed: [] as string[], inUse: [] as string[] };
  for (const o of retiredObjects(await api.list(kind), project, kind, current)) {
    const name = o.Spec?.Name ?? o.ID;
    try {
      await api.remove(kind, o.ID);
      out.removed.push(name);
    } catch (err) {
      // Swarm answers 400 "... is in use by the following service: ..." for an object still mounted.
      if (/in use/i.test(String((err as Error).message))) out.inUse.push(name);
      else throw err;
    }
  }
  return out;
}
