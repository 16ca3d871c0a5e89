import { expect, inject, test } from 'vitest';

test('the app answers with its greeting', async () => {
  const res = await fetch(new URL('/greeting', inject('appUrl')));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ greeting: 'hello from the stack', path: '/greeting' });
});
