import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggest } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['image', 'image', 0],
    ['imgae', 'image', 1],
    ['dbb', 'db', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%j → %j is %d', (a, b, d) => expect(editDistance(a, b)).toBe(d));
});

describe('suggest', () => {
  const keys = ['image', 'build', 'command', 'environment', 'depends_on', 'networks'];
  it.each([
    ['imgae', 'image'],
    ['IMAGE', 'image'],
    ['enviroment', 'environment'],
    ['depends-on', 'depends_on'],
    ['network', 'networks'],
    ['xyz', undefined],
    ['completely-different', undefined],
  ])('%j → %j', (word, expected) => expect(suggest(word, keys)).toBe(expected));

  it('is strict with short words', () => {
    expect(suggest('db', ['api'])).toBeUndefined();
    expect(suggest('dbb', ['db', 'api'])).toBe('db');
  });

  it('formats the hint', () => {
    expect(didYouMean('wbe', ['web', 'api'])).toBe(' (did you mean "web"?)');
    expect(didYouMean('zzz', ['web'])).toBe('');
  });
});
