import { describe, expect, it } from 'vitest';
import { InterpolationError, interpolate, interpolationHook } from './interpolate.js';

const env: Record<string, string> = { NAME: 'shop', EMPTY: '', PORT: '8080', ZERO: '08080', YES: 'true' };
const lookup = (name: string) => env[name];

describe('interpolate', () => {
  it.each([
    ['plain text', 'plain text'],
    ['$NAME', 'shop'],
    ['${NAME}', 'shop'],
    ['pre-${NAME}-post', 'pre-shop-post'],
    ['$NAME.db', 'shop.db'],
    ['${UNSET}', ''],
    ['$UNSET', ''],
    ['${UNSET:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${NAME:-fallback}', 'shop'],
    ['${UNSET-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${NAME:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${NAME:?required}', 'shop'],
    ['${EMPTY?required}', ''],
    ['${UNSET:-${NAME}}', 'shop'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-a}b}', 'ab}'],
    ['$$', '$'],
    ['$$NAME', '$NAME'],
    ['$${NAME}', '${NAME}'],
    ['costs $5', 'costs $5'],
    ['end $', 'end $'],
    ['a $ b', 'a $ b'],
    ['${UNSET:-}', ''],
    ['${UNSET:-with spaces and : colons}', 'with spaces and : colons'],
  ])('%j → %j', (input, output) => {
    expect(interpolate(input, lookup)).toBe(output);
  });

  it.each([
    ['${UNSET:?set it}', 'required variable UNSET is missing a value: set it'],
    ['${EMPTY:?set it}', 'required variable EMPTY is missing a value: set it'],
    ['${UNSET?}', 'required variable UNSET is missing a value'],
    ['${UNSET:?${NAME} needs it}', 'required variable UNSET is missing a value: shop needs it'],
    ['${}', 'invalid interpolation "${}": expected a variable name (write $$ for a literal $)'],
    ['${1}', 'invalid interpolation "${1}": expected a variable name (write $$ for a literal $)'],
    ['${NAME', 'invalid interpolation "${NAME": no closing "}" (write $$ for a literal $)'],
    ['${NAME:x}', 'invalid interpolation "${NAME:x}": expected "}", ":-", "-", ":?", "?", ":+" or "+" after NAME'],
  ])('%j fails: %s', (input, message) => {
    expect(() => interpolate(input, lookup)).toThrow(expect.objectContaining({ constructor: InterpolationError, message }));
  });

  it.each([
    ['pw${cret', 'invalid interpolation at character 3: "${" has no closing "}" (write $$ for a literal $)'],
    ['x${}', 'invalid interpolation at character 2: expected a variable name after "${" (write $$ for a literal $)'],
    ['${NAME:x-s3cret}', 'invalid interpolation at character 1: expected "}", ":-", "-", ":?", "?", ":+" or "+" after NAME'],
  ])('%j says what is wrong without its text too, for values that may be secret', (input, withoutText) => {
    expect(() => interpolate(input, lookup)).toThrow(expect.objectContaining({ withoutText }));
  });

  it('does not evaluate a default it does not use', () => {
    expect(interpolate('${NAME:-${UNSET:?never}}', lookup)).toBe('shop');
  });
});

describe('interpolationHook', () => {
  const hook = interpolationHook(lookup);

  it('reads a substituted unquoted value as YAML would: numbers and booleans', () => {
    expect(hook('${PORT}', true)).toBe(8080);
    expect(hook('${YES}', true)).toBe(true);
  });

  it('keeps strings when retyping would lose something, when quoted, or when nothing was substituted', () => {
    expect(hook('${ZERO}', true)).toBe('08080');
    expect(hook('${PORT}', false)).toBe('8080');
    expect(hook('$$5', true)).toBe('$5');
    expect(hook('${PORT}:80', true)).toBe('8080:80');
  });
});
