import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge } from './challenge.js';

describe('WWW-Authenticate', () => {
  it('reads Docker Hub’s bearer challenge', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
  });
  it('reads several challenges, quoted escapes and bare tokens', () => {
    expect(parseChallenges('Basic realm="a \\"b\\"", Bearer realm=https://t/x, service=s')).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', service: 's' } },
    ]);
  });
  it('prefers bearer with a realm, else basic', () => {
    expect(pickChallenge('Basic realm="r", Bearer realm="https://t"')?.scheme).toBe('bearer');
    expect(pickChallenge('Basic realm="r", Bearer service="x"')?.scheme).toBe('basic');
    expect(pickChallenge(null)).toBeUndefined();
  });
});
