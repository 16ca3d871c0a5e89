import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { swarmRegistryFlag } from './swarm-registry-flag.js';

describe('up --registry', () => {
  it('is the registry without a trailing slash on the swarm runtime', () => {
    expect(swarmRegistryFlag('10.0.0.1:5000/', 'swarm')).toBe('10.0.0.1:5000');
  });
  it('refuses a bad value and another runtime in one line', () => {
    expect(() => swarmRegistryFlag('http://10.0.0.1:5000', 'swarm')).toThrow(/^up --registry "http:\/\/10\.0\.0\.1:5000": give HOST\[:PORT\] without a scheme/);
    expect(() => swarmRegistryFlag('10.0.0.1:5000', 'embedded')).toThrow(UsageError);
    expect(() => swarmRegistryFlag('10.0.0.1:5000', undefined)).toThrow(/is for --runtime swarm/);
  });
});
