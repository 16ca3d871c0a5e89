/** Containers, stacks and states for the dashboard's tests, with the defaults a running stack has. */
import { makeStack } from '../planner/test-stack.js';
import { Label, type ContainerInfo } from '../runtime/runtime.js';
import { initialState, serviceEntries, type DashState } from './model.js';
import { reduce } from './reduce.js';

/** The stack of the tests: web needs api (healthy), api needs db; api has two replicas. */
export const testStack = makeStack({
  name: 'shop',
  services: {
    db: { image: 'host', command: ['node', 'db.js'], environment: { PORT: '5432' } },
    api: { image: 'host', replicas: 2, depends_on: { db: 'service_healthy' } },
    web: { image: 'host', depends_on: { api: 'service_started' } },
  },
});

/** A container of `shop` as the runtime reports it. */
export function container(service: string, instance: number, over: Partial<ContainerInfo> = {}): ContainerInfo {
  const name = `shop-${service}-${instance}`;
  return {
    id: name,
    name,
    image: 'host',
    labels: { [Label.project]: 'shop', [Label.service]: service, [Label.instance]: String(instance) },
    state: 'running',
    health: 'none',
    oomKilled: false,
    createdAt: '2024-05-01T10:00:00.000Z',
    startedAt: '2024-05-01T10:00:00.000Z',
    ports: [],
    addresses: { shop_default: `10.238.0.${instance + 1}` },
    host: 'embedded',
    restartCount: 0,
    ...over,
  };
}

/** The dashboard's state over `testStack` after one snapshot of `containers`. */
export function stateWith(containers: ContainerInfo[], time = Date.parse('2024-05-01T10:01:00.000Z')): DashState {
  const start = initialState({ project: 'shop', commandPrefix: 'stack -p shop', services: serviceEntries(testStack) });
  return reduce(start, { type: 'snapshot', time, containers, stats: {} });
}
