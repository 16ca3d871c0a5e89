import { describe, expect, it } from 'vitest';
import { parseJsonBigInt } from './json-bigint.js';

describe('parseJsonBigInt', () => {
  it('reads whole numbers as bigint, exactly up to 2^64-1, and the rest as JSON does', () => {
    const text = '{ "a": 18446744073709551615, "b": [1, -2, 1.5, 2e3, true, false, null], "s": "x\\"y\\\\ \\u00e9", "o": {}, "l": [], "a": 3 }';
    expect(parseJsonBigInt(text)).toEqual({ a: 3n, b: [1n, -2n, 1.5, 2000, true, false, null], s: 'x"y\\ é', o: {}, l: [] });
    expect((parseJsonBigInt('{"v": 18446744073709551615}') as { v: bigint }).v).toBe(2n ** 64n - 1n);
  });

  it('keeps a "__proto__" key as data', () => {
    const o = parseJsonBigInt('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
