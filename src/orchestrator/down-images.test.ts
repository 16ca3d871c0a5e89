import { describe, expect, it } from 'vitest';
import type { ObservedContainer } from '../planner/observed.js';
import { makeStack } from '../planner/test-stack.js';
import { projectOnlyStack } from '../cli/project-only-stack.js';
import { imagesToRemove } from './down-images.js';

const build = { context: '/work/api', dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false };
const stack = makeStack({
  name: 'shop',
  services: { api: { build }, tagged: { build, image: 'me/tagged:1' }, cache: { image: 'redis:7' }, tool: { image: 'host' } },
});
const container = (service: string, image: string): ObservedContainer => ({
  name: `shop-${service}-1`, project: 'shop', service, number: 1, configHash: 'h', state: 'exited', networks: [], volumes: [], image,
});

describe('down --rmi', () => {
  it('local: only images built under the project\'s default name; all: every image the services use', () => {
    expect(imagesToRemove(stack, [], 'local')).toEqual(['shop-api']);
    expect(imagesToRemove(stack, [], 'all')).toEqual(['me/tagged:1', 'redis:7', 'shop-api']);
  });

  it('without a file, from what the containers were made of (orphans too)', () => {
    const left = [container('api', 'shop-api'), container('tagged', 'me/tagged:1'), container('cache', 'redis:7'), container('tool', 'host'), container('gone', 'shop-gone')];
    const bare = projectOnlyStack('shop', '/work');
    expect(imagesToRemove(bare, left, 'local')).toEqual(['shop-api', 'shop-gone']);
    expect(imagesToRemove(bare, left, 'all')).toEqual(['me/tagged:1', 'redis:7', 'shop-api', 'shop-gone']);
  });

  it('with a file, an orphan adds its own built image only, never an image it may share', () => {
    const orphans = [container('gone', 'shop-gone'), container('old', 'postgres:16')];
    expect(imagesToRemove(stack, orphans, 'all')).toEqual(['me/tagged:1', 'redis:7', 'shop-api', 'shop-gone']);
  });
});
