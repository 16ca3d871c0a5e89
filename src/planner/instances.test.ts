import { expect, it } from 'vitest';
import { expandInstances } from './instances.js';
import { shopStack } from './test-stack.js';

it('expands replicas to numbered instances and container names', () => {
  expect(expandInstances(shopStack(), 'api')).toEqual([
    { service: 'api', number: 1, name: 'api-1', containerName: 'shop-api-1' },
    { service: 'api', number: 2, name: 'api-2', containerName: 'shop-api-2' },
  ]);
  expect(expandInstances(shopStack(), 'db').map((i) => i.containerName)).toEqual(['shop-db-1']);
});
