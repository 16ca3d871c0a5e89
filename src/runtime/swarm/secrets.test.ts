/** Secrets and configs as Swarm objects named for their content; what an update retires. */
import { describe, expect, it } from 'vitest';
import { Sensitive, type FileObject } from '../../config/model.js';
import { fileObjectData, retiredObjects, swarmFileObjectSpec, swarmObjectName, type ListedObject } from './secrets.js';

const obj = (o: Partial<FileObject> & { name: string }): FileObject => ({ external: false, labels: {}, ...o });

describe('swarm secrets and configs', () => {
  it('names an object <project>_<key>_<hash8>, the same for the same data and new for new data', () => {
    const token = obj({ name: 'token', environment: 'TOKEN' });
    const a = swarmObjectName('shop', 'secret', 'token', token, Buffer.from('one'));
    expect(a).toMatch(/^shop_token_[0-9a-f]{8}$/);
    expect(swarmObjectName('shop', 'secret', 'token', token, Buffer.from('one'))).toBe(a);
    expect(swarmObjectName('shop', 'secret', 'token', token, Buffer.from('two'))).not.toBe(a);
    // Salted: the same data under another key or project is another name.
    expect(swarmObjectName('shop', 'secret', 'other', obj({ name: 'other' }), Buffer.from('one')).slice(-8)).not.toBe(a.slice(-8));
    expect(swarmObjectName('shop', 'config', 'token', token, Buffer.from('one'))).not.toBe(a);
  });

  it('keeps a written name: as the base, and fits Swarm\'s 64 characters', () => {
    expect(swarmObjectName('shop', 'config', 'conf', obj({ name: 'app-conf' }), Buffer.from('x'))).toMatch(/^app-conf_[0-9a-f]{8}$/);
    const long = swarmObjectName('p'.repeat(40), 'secret', 'k'.repeat(40), obj({ name: 'k'.repeat(40) }), Buffer.from('x'));
    expect(long.length).toBe(64);
  });

  it('labels the spec with the project and key, data in base64, never in a name or label', () => {
    const spec = swarmFileObjectSpec('shop', 'secret', 'token', obj({ name: 'token', labels: { team: 'a' } }), Buffer.from('s3cret'));
    expect(spec.Labels).toEqual({ team: 'a', 'com.docker.stack.namespace': 'shop', 'io.hafen.project': 'shop', 'io.hafen.secret': 'token' });
    expect(Buffer.from(spec.Data, 'base64').toString()).toBe('s3cret');
    expect(JSON.stringify({ ...spec, Data: undefined })).not.toContain('s3cret');
  });

  it('reads data from the variable, the content or the file', async () => {
    expect((await fileObjectData(obj({ name: 'a', environment: 'A', value: new Sensitive('v') }))).toString()).toBe('v');
    expect((await fileObjectData(obj({ name: 'b', content: 'c' }))).toString()).toBe('c');
    expect((await fileObjectData(obj({ name: 'c', file: new URL(import.meta.url).pathname }))).toString()).toContain('swarm secrets and configs');
  });

  it('retires the project\'s objects of that kind the new specs no longer name', () => {
    const listed: ListedObject[] = [
      { ID: '1', Spec: { Name: 'shop_token_aaaaaaaa', Labels: { 'io.hafen.project': 'shop', 'io.hafen.secret': 'token' } } },
      { ID: '2', Spec: { Name: 'shop_token_bbbbbbbb', Labels: { 'io.hafen.project': 'shop', 'io.hafen.secret': 'token' } } },
      { ID: '3', Spec: { Name: 'other_token_aaaaaaaa', Labels: { 'io.hafen.project': 'other', 'io.hafen.secret': 'token' } } },
      { ID: '4', Spec: { Name: 'shop_conf_aaaaaaaa', Labels: { 'io.hafen.project': 'shop', 'io.hafen.config': 'conf' } } },
      { ID: '5', Spec: { Name: 'hand-made', Labels: {} } },
    ];
    expect(retiredObjects(listed, 'shop', 'secret', new Set(['shop_token_bbbbbbbb'])).map((o) => o.ID)).toEqual(['1']);
    expect(retiredObjects(listed, 'shop', 'config', new Set()).map((o) => o.ID)).toEqual(['4']);
  });
});
