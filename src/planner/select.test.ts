import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { selectServices } from './select.js';
import { makeStack, shopStack } from './test-stack.js';

const profiled = makeStack({
  services: {
    web: { depends_on: ['db'] },
    db: {},
    mock: { profiles: ['dev'], depends_on: ['fixtures'] },
    fixtures: { profiles: ['dev'] },
    admin: { profiles: ['debug'], depends_on: ['fixtures'] },
    lint: { profiles: ['ci', 'dev'] },
  },
});

const select = (...args: Parameters<typeof selectServices> extends [unknown, ...infer R] ? R : never): string[] => [
  ...selectServices(profiled, ...args),
];

describe('selectServices', () => {
  it('takes every active service, in start order, when none is named', () => {
    expect([...selectServices(shopStack())]).toEqual(['db', 'migrate', 'api', 'worker', 'web']);
  });

  it('takes a named service with everything it needs', () => {
    expect([...selectServices(shopStack(), ['web'])]).toEqual(['db', 'migrate', 'api', 'web']);
    expect([...selectServices(shopStack(), ['migrate', 'db'])]).toEqual(['db', 'migrate']);
  });

  it('takes only the named services with noDeps', () => {
    expect([...selectServices(shopStack(), ['web', 'api'], { noDeps: true })]).toEqual(['api', 'web']);
  });

  it('leaves out services whose profiles are off', () => {
    expect(select()).toEqual(['db', 'web']);
  });

  it('takes services of an enabled profile, and every profile with *', () => {
    expect(select([], { profiles: ['dev'] })).toEqual(['db', 'web', 'fixtures', 'mock', 'lint']);
    expect(select([], { profiles: ['ci'] })).toEqual(['db', 'web', 'lint']);
    expect(select([], { profiles: ['*'] })).toEqual(['db', 'web', 'fixtures', 'mock', 'admin', 'lint']);
  });

  it('takes a named service whatever its profile, but not a dependency whose profile is off', () => {
    expect(select(['lint'])).toEqual(['lint']);
    expect(select(['mock'], { profiles: ['dev'] })).toEqual(['fixtures', 'mock']);
    expect(() => select(['admin'])).toThrowError(
      'service "admin" needs "fixtures", which is only in profile "dev": enable it with --profile dev',
    );
    expect(select(['admin'], { noDeps: true })).toEqual(['admin']);
  });

  it('skips an optional dependency whose profile is off', () => {
    const stack = makeStack({ services: { app: { depends_on: { tool: { required: false } } }, tool: { profiles: ['x'] } } });
    expect([...selectServices(stack)]).toEqual(['app']);
  });

  it('rejects an unknown name, suggesting the closest one', () => {
    expect(() => selectServices(shopStack(), ['wbe'])).toThrowError(UsageError);
    expect(() => selectServices(shopStack(), ['wbe'])).toThrowError('no such service: "wbe" (did you mean "web"?)');
    expect(() => selectServices(shopStack(), ['payments'])).toThrowError(/^no such service: "payments"$/);
  });
});
