import { describe, expect, it } from 'vitest';
import { canonicalJson, configHash } from './config-hash.js';
import { makeService } from './test-stack.js';

describe('configHash', () => {
  const base = makeService('api', { image: 'host', environment: { A: '1', B: '2' }, command: ['node', 'api.js'] });

  it('is a sha256 that does not depend on key order', () => {
    const reordered = makeService('api', { command: ['node', 'api.js'], environment: { B: '2', A: '1' }, image: 'host' });
    expect(configHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash(reordered)).toBe(configHash(base));
  });

  it('ignores what does not change a container', () => {
    const same = { ...base, replicas: 5, profiles: ['x'], extensions: { 'x-a': 1 }, depends_on: {}, pull_policy: 'always' as const };
    expect(configHash(same)).toBe(configHash(base));
  });

  it('changes with what makes the container', () => {
    expect(configHash({ ...base, environment: { A: '1', B: '3' } })).not.toBe(configHash(base));
    expect(configHash({ ...base, command: ['node', 'api2.js'] })).not.toBe(configHash(base));
    expect(configHash({ ...base, image: 'node:20' })).not.toBe(configHash(base));
  });

  it('writes canonical JSON', () => {
    expect(canonicalJson({ b: [1, { d: undefined, c: 'x' }], a: null })).toBe('{"a":null,"b":[1,{"c":"x"}]}');
  });
});

describe('canonicalJson', () => {
  it('agrees with JSON.stringify on escapes, numbers and holes', () => {
    const odd = ['a"b', 'back\\slash', 'new\nline', '\u2028', '\ud83d\ude00', 'plain', '', -0, 1.5e300, NaN, true, null, undefined];
    expect(canonicalJson(odd)).toBe(JSON.stringify(odd));
    expect(canonicalJson({ z: 1, 'a"': { y: [undefined], x: 'é' } })).toBe('{"a\\"":{"x":"é","y":[null]},"z":1}');
  });
});
