import { describe, expect, it } from 'vitest';
import { ShellWordsError, splitShellWords } from './shell-words.js';

// Expected words are what Compose v2 (go-shellwords 1.0.14's Parse) gives for the same text.
describe('splitShellWords', () => {
  it.each<[string, string, string[]]>([
    ['flags for an image entrypoint', '-target=all -config.file=/etc/x.yaml', ['-target=all', '-config.file=/etc/x.yaml']],
    ['runs of spaces, tabs, CRs and newlines separate', ' a  b\tc\r\nd\n', ['a', 'b', 'c', 'd']],
    ['nothing', '', []],
    ['only blanks', ' \t\n ', []],
    ['double quotes keep spaces', 'echo "a  b" c', ['echo', 'a  b', 'c']],
    ['single quotes keep spaces', "echo 'a  b' c", ['echo', 'a  b', 'c']],
    ['quoted parts next to each other make one word', `--name="a b"'c d'e`, ['--name=a bc de']],
    ['an empty double-quoted word', 'a "" b', ['a', '', 'b']],
    ['an empty single-quoted word', "a '' b", ['a', '', 'b']],
    ['empty quotes glued to a word add nothing', 'a"" b', ['a', 'b']],
    ['a word of only quoted spaces', '" "', [' ']],
    ['newlines and tabs inside quotes stay', '"a\nb" \'c\td\'', ['a\nb', 'c\td']],
    ['single quotes keep backslashes', String.raw`'a\nb\\'`, [String.raw`a\nb\\`]],
    ['single quotes keep double quotes', `'say "hi"'`, ['say "hi"']],
    ['double quotes keep single quotes', `"it's"`, ["it's"]],
    ['a backslash escapes a space', String.raw`a\ b c`, ['a b', 'c']],
    ['a backslash escapes a quote', String.raw`a\"b \'c`, [`a"b`, `'c`]],
    ['a backslash in double quotes escapes the next character', String.raw`"a\"b\\c\$d\x"`, [String.raw`a"b\c$dx`]],
    ['\\t and \\n are a tab and a newline (as go-shellwords 1.0.13+)', String.raw`a\tb "c\nd"`, ['a\tb', 'c\nd']],
    ['a lone backslash between words is dropped', String.raw`a \ b`, ['a', ' b']],
    ['$ is not expanded (interpolation ran before; $$ became $)', 'echo $HOME ${X:-y} $1', ['echo', '$HOME', '${X:-y}', '$1']],
    ['globs, tildes, braces and # are plain characters', 'ls *.txt ~/x {a,b} #c', ['ls', '*.txt', '~/x', '{a,b}', '#c']],
    ['$(…) stays in its word, spaces included', 'echo $(date +%s) x', ['echo', '$(date +%s)', 'x']],
    ['$(…) keeps quotes and operators as written', `a$(b "c d"; e)f`, [`a$(b "c d"; e)f`]],
    ['backquotes stay in the word, their spaces too', 'echo `date +%s`x y', ['echo', '`date +%s`x', 'y']],
    ['parentheses and operators inside quotes are plain', `sh -c "a && (b; c) | d > e"`, ['sh', '-c', 'a && (b; c) | d > e']],
    ['a quoted $( is plain', `"$(" x`, ['$(', 'x']],
    ['equals signs and colons', 'KEY=v a:b --opt=1=2', ['KEY=v', 'a:b', '--opt=1=2']],
    ['non-ASCII text', 'écho "ü ö" 日本', ['écho', 'ü ö', '日本']],
    ['a non-breaking space is part of a word', 'a\u00a0b', ['a\u00a0b']],
  ])('%s', (_, text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  it.each<[string, string, string]>([
    ['an unclosed double quote', 'echo "a b', 'the double quote (character 6 of the string) is never closed'],
    ['an unclosed single quote', "echo a 'b", 'the single quote (character 8 of the string) is never closed'],
    ['a quote closed by the other kind', `echo "a'`, 'the double quote (character 6 of the string) is never closed'],
    ['a trailing backslash', 'echo a\\', 'it ends with a lone backslash; write \\\\ for a literal one'],
    ['an unclosed backquote', 'echo `date', 'the backquote (character 6 of the string) is never closed'],
    ['an unclosed $(', 'echo $(date', 'the "$(" (character 6 of the string) is never closed by ")"'],
    ['a bare (', 'echo (a)', '"(" (character 6 of the string) is shell syntax and there is no shell; quote it, or write the command as a list instead'],
    ['a ( inside $(…)', 'echo $(a (b))', '"(" (character 10 of the string) is shell syntax'],
    ['a bare )', 'echo a)', '")" (character 7 of the string) closes nothing'],
    ['&& without onDropped', 'npm ci && npm start', '"&&" (character 8 of the string) is shell syntax, but this string is split into words and run without a shell; quote it, or write the command as a list instead, e.g. ["sh", "-c", "…"] for a shell'],
    ['a redirection without onDropped', 'serve 2>&1', '"2>&" (character 7 of the string) is shell syntax'],
  ])('refuses %s', (_, text, message) => {
    const run = () => splitShellWords(text);
    expect(run).toThrow(ShellWordsError);
    expect(run).toThrow(message);
  });

  // What go-shellwords' Parse returns (compose-go reads string commands with it): the words before
  // the operator; a digits-only word right before `>` is taken as a file descriptor and dropped too.
  it.each<[string, string, string[], string, string]>([
    ['&&', 'npm ci && npm start', ['npm', 'ci'], '&&', '&& npm start'],
    [';', 'a; b', ['a'], ';', '; b'],
    ['a pipe', 'cat x | wc -l', ['cat', 'x'], '|', '| wc -l'],
    ['a redirection', 'serve 2>&1', ['serve'], '2>&', '2>&1'],
    ['a redirection to a file', 'serve >log', ['serve'], '>', '>log'],
    ['a word glued to >', 'echo x>log', ['echo', 'x'], '>', '>log'],
    ['digits in quotes before >', 'echo "12">x', ['echo'], '"12">', '"12">x'],
    ['an input redirection', 'psql <seed.sql', ['psql'], '<', '<seed.sql'],
    ['a background &', 'serve &', ['serve'], '&', '&'],
    ['a word glued to &&', 'a&&b', ['a'], '&&', '&&b'],
    ['an operator first', '&& x', [], '&&', '&& x'],
    ['an empty quoted word before', `echo "" ; x`, ['echo', ''], ';', '; x'],
    ['anything after, even an unclosed quote', `a | "b`, ['a'], '|', '| "b'],
  ])('stops at %s as Compose does, and says what it dropped', (_, text, words, operator, tail) => {
    const dropped: unknown[] = [];
    expect(splitShellWords(text, (d) => dropped.push(d))).toEqual(words);
    expect(dropped).toEqual([{ operator, tail, position: text.length - tail.length + 1 }]);
  });

  it('escaped and quoted operators are plain characters', () => {
    expect(splitShellWords(String.raw`a \&\& b ';' "|" \> c`)).toEqual(['a', '&&', 'b', ';', '|', '>', 'c']);
  });

  it('counts characters, not UTF-16 units, in messages', () => {
    expect(() => splitShellWords('😀 "x')).toThrow('(character 3 of the string)');
  });
});
