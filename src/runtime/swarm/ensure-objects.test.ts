/** Secrets and configs made once per content, externals found by name, retired ones removed unless in use. */
import { describe, expect, it } from 'vitest';
import { Sensitive, type FileObject, type Stack } from '../../config/model.js';
import { ensureFileObjects, retireFileObjects, type SwarmObjectsApi } from './ensure-objects.js';
import type { ListedObject } from './secrets.js';

/** An engine's object store in memory; `inUse` names refuse removal as Swarm does. */
function store(inUse: string[] = []) {
  const objects: ListedObject[] = [{ ID: 'x1', Spec: { Name: 'shared-cert', Labels: {} } }];
  let n = 0;
  const api: SwarmObjectsApi = {
    list: async () => structuredClone(objects),
    create: async (_kind, spec) => {
      objects.push({ ID: `id${++n}`, Spec: { Name: spec.Name, Labels: spec.Labels } });
      return `id${n}`;
    },
    remove: async (_kind, id) => {
      const o = objects.find((x) => x.ID === id)!;
      if (inUse.includes(o.Spec!.Name!)) throw new Error(`(HTTP code 400) unexpected - rpc error: code = InvalidArgument desc = secret '${o.Spec!.Name}' is in use by the following service: shop_api`);
      objects.splice(objects.indexOf(o), 1);
    },
  };
  return { api, objects };
}

const stackWith = (secrets: Record<string, FileObject>): Stack => ({ name: 'shop', secrets, configs: {} }) as unknown as Stack;
const env = (v: string): FileObject => ({ name: 'token', external: false, labels: {}, environment: 'TOKEN', value: new Sensitive(v) });

describe('ensureFileObjects', () => {
  it('creates each content once and finds externals by name', async () => {
    const { api, objects } = store();
    const stack = stackWith({ token: env('a'), cert: { name: 'shared-cert', external: true, labels: {} } });
    const first = await ensureFileObjects(api, stack, 'secret', ['token', 'cert', 'token']);
    expect(first.cert).toEqual({ id: 'x1', name: 'shared-cert' });
    expect(first.token!.name).toMatch(/^shop_token_[0-9a-f]{8}$/);
    expect(await ensureFileObjects(api, stack, 'secret', ['token'])).toEqual({ token: first.token });
    expect(objects).toHaveLength(2);
  });

  it('says which external object is missing and how to make it', async () => {
    const { api } = store();
    await expect(ensureFileObjects(api, stackWith({ key: { name: 'prod-key', external: true, labels: {} } }), 'secret', ['key'])).rejects.toThrow(
      'secret key: is external, but the swarm has no secret named "prod-key"; create it first (docker secret create prod-key FILE)',
    );
  });
});

describe('retireFileObjects', () => {
  it('removes the project\'s objects no longer named, keeping one still in use', async () => {
    const { api, objects } = store();
    const a = (await ensureFileObjects(api, stackWith({ token: env('a') }), 'secret', ['token'])).token!;
    const b = (await ensureFileObjects(api, stackWith({ token: env('b') }), 'secret', ['token'])).token!;
    const busy = store([a.name]);
    busy.objects.push(...objects.filter((o) => o.ID !== 'x1'));
    expect(await retireFileObjects(busy.api, 'shop', 'secret', new Set([b.name]))).toEqual({ removed: [], inUse: [a.name] });
    expect(await retireFileObjects(api, 'shop', 'secret', new Set([b.name]))).toEqual({ removed: [a.name], inUse: [] });
    expect(objects.map((o) => o.Spec?.Name)).toEqual(['shared-cert', b.name]);
  });
});
