import { describe, expect, test } from 'vitest';
import { processWord, processWords, substitute, SubstitutionError } from './substitute.js';

const env = new Map([
  ['foo', 'bar'],
  ['empty', ''],
  ['path', '/usr/local/lib/file.tar.gz'],
  ['spaced', 'a b  c'],
  ['WIN', 'C:\\Users'],
]);

describe('processWord', () => {
  test.each([
    // plain references
    ['$foo', 'bar'],
    ['${foo}', 'bar'],
    ['x${foo}y', 'xbary'],
    ['$foo/baz', 'bar/baz'],
    ['$unset', ''],
    ['${unset}', ''],
    ['$', '$'],
    ['a$', 'a$'],
    ['$-x', 'x'],
    ['$1', ''],
    // escapes and quotes
    ['\\$foo', '$foo'],
    ['\\${foo}', '${foo}'],
    ["'$foo'", '$foo'],
    ['"$foo"', 'bar'],
    ['"\\$foo"', '$foo'],
    ['"a \\"q\\" b"', 'a "q" b'],
    ['"a\\nb"', 'a\\nb'],
    ["'a\\b'", 'a\\b'],
    ['a\\ b', 'a b'],
    ['a\\', 'a'],
    ['"it\'s"', "it's"],
    ["'say \"hi\"'", 'say "hi"'],
    ['"${spaced}"', 'a b  c'],
    ['$spaced', 'a b  c'],
    // :- and -
    ['${foo:-word}', 'bar'],
    ['${unset:-word}', 'word'],
    ['${empty:-word}', 'word'],
    ['${foo-word}', 'bar'],
    ['${unset-word}', 'word'],
    ['${empty-word}', ''],
    // :+ and +
    ['${foo:+word}', 'word'],
    ['${unset:+word}', ''],
    ['${empty:+word}', ''],
    ['${foo+word}', 'word'],
    ['${empty+word}', 'word'],
    ['${unset+word}', ''],
    // words may nest substitutions and quotes
    ['${unset:-${foo}-x}', 'bar-x'],
    ['${unset:-"a b"}', 'a b'],
    ['${unset:-\\}}', '}'],
    ['${foo:?}', 'bar'],
    // pattern removal and replacement
    ['${path#*/}', 'usr/local/lib/file.tar.gz'],
    ['${path##*/}', 'file.tar.gz'],
    ['${path%.*}', '/usr/local/lib/file.tar'],
    ['${path%%.*}', '/usr/local/lib/file'],
    ['${path/lib/LIB}', '/usr/local/LIB/file.tar.gz'],
    ['${path//l/L}', '/usr/LocaL/Lib/fiLe.tar.gz'],
    ['${path/#\\/usr/X}', '/usr/local/lib/file.tar.gz'],
    ['${foo/a?/A}', 'bA'],
  ])('%s → %j', (word, expected) => {
    expect(processWord(word, env)).toBe(expected);
  });

  test.each([
    ['${foo', "failed to process \"${foo\": syntax error: missing '}'"],
    ['${foo:-x', "failed to process \"${foo:-x\": syntax error: missing '}'"],
    ['${}', 'failed to process "${}": syntax error: bad substitution'],
    ['${:-x}', 'failed to process "${:-x}": syntax error: bad substitution'],
    ['${foo!x}', 'failed to process "${foo!x}": unsupported modifier (!) in substitution'],
    ['${foo:#x}', 'failed to process "${foo:#x}": unsupported modifier (:#) in substitution'],
    ['"abc', 'failed to process "\\"abc": unexpected end of statement while looking for matching double-quote'],
    ["'abc", 'failed to process "\'abc": unexpected end of statement while looking for matching single-quote'],
    ['${unset:?must be set}', 'failed to process "${unset:?must be set}": unset: must be set'],
    ['${unset?}', 'failed to process "${unset?}": unset: is not allowed to be unset'],
    ['${empty:?}', 'failed to process "${empty:?}": empty: is not allowed to be empty'],
  ])('%s fails', (word, message) => {
    expect(() => processWord(word, env)).toThrow(new SubstitutionError(message));
  });

  test('with escape=` the backslash is literal and the backtick escapes', () => {
    const o = { escape: '`' };
    expect(processWord('C:\\Program Files\\app', env, o)).toBe('C:\\Program Files\\app');
    expect(processWord('`$foo', env, o)).toBe('$foo');
    expect(processWord('$WIN\\app', env, o)).toBe('C:\\Users\\app');
    expect(processWord('"a `"b`""', env, o)).toBe('a "b"');
  });

  test('skipUnset leaves unknown references as written (used to find heredocs)', () => {
    expect(processWord('$unset ${unset} ${unset:-x} $foo', env, { skipUnset: true })).toBe('$unset ${unset} ${unset:-x} bar');
  });

  test('rawQuotes and rawEscapes keep quotes and escapes', () => {
    expect(processWord('"a b" \\c', env, { rawQuotes: true, rawEscapes: true })).toBe('"a b" \\c');
  });

  test('skipQuotes treats quotes as text (heredoc bodies)', () => {
    expect(processWord('echo "$foo" \'$foo\'\n', env, { skipQuotes: true })).toBe('echo "bar" \'bar\'\n');
  });

  test('reports which variables were used and missing', () => {
    const s = substitute('$foo ${nope:-x} $foo', env);
    expect([...s.matched]).toEqual(['foo']);
    expect([...s.unmatched]).toEqual(['nope']);
  });
});

describe('processWords', () => {
  test.each([
    ['80 443', ['80', '443']],
    ['"a b" c', ['a b', 'c']],
    ['$spaced', ['a', 'b', 'c']],
    ['"$spaced"', ['a b  c']],
    ['a\\ b c', ['a b', 'c']],
    ['  lead  trail  ', ['lead', 'trail']],
    ['""', []],
    ['${unset:-8080} $foo', ['8080', 'bar']],
  ])('%j → %j', (word, expected) => {
    expect(processWords(word, env)).toEqual(expected);
  });
});
