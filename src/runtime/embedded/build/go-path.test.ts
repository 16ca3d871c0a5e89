import { describe, expect, test } from 'vitest';
import { BadPatternError, goClean, goMatch, hasWildcards } from './go-path.js';

describe('goMatch (Go filepath.Match)', () => {
  test.each<[string, string, boolean]>([
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'a/b', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abe', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['*.go', 'main.go', true],
    ['*.go', 'cmd/main.go', false],
    ['**', 'a', true],
    ['**', 'a/b', false],
    ['.*', '.env', true],
    ['*', '.hidden', true],
  ])('%j matches %j: %s', (pattern, name, expected) => {
    expect(goMatch(pattern, name)).toBe(expected);
  });

  test.each(['[', '[^', '[^bc', 'a[', '[]a]', '[-]', '[x-]', 'a\\', '[a-\\'])('%j is a bad pattern', (pattern) => {
    expect(() => goMatch(pattern, 'x')).toThrow(BadPatternError);
  });
});

describe('goClean', () => {
  test.each([
    ['', '.'],
    ['.', '.'],
    ['./a/', 'a'],
    ['a//b', 'a/b'],
    ['a/./b/..', 'a'],
    ['../a', '../a'],
    ['a/../../b', '../b'],
    ['/../a', '/a'],
    ['/', '/'],
    ['//x//', '/x'],
  ])('%j → %j', (p, expected) => {
    expect(goClean(p)).toBe(expected);
  });
});

test.each([
  ['a/*.txt', true],
  ['a/b?', true],
  ['[ab]', true],
  ['a\\*', false],
  ['plain/path', false],
])('hasWildcards(%j) is %s', (p, expected) => {
  expect(hasWildcards(p)).toBe(expected);
});
