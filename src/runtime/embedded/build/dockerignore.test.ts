import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DockerfileError } from './dockerfile-error.js';
import { createIgnoreMatcher, loadDockerignore, parseDockerignore } from './dockerignore.js';

const parse = (text: string) => parseDockerignore(text, { file: '.dockerignore' });
const matcher = (text: string) => createIgnoreMatcher(parse(text));

describe('parseDockerignore', () => {
  test('comments, blanks, cleaning, leading / and ./ dropped, ! exceptions', () => {
    const text = [
      '# comment',
      '',
      '   ',
      '/node_modules',
      './dist/',
      '  *.log  ',
      '!  keep.log',
      '!/docs/README.md',
      'a//b/../c',
      '  # not a comment: it does not start the line',
      '\r',
    ].join('\n');
    expect(parse(text)).toEqual(['node_modules', 'dist', '*.log', '!keep.log', '!docs/README.md', 'a/c', '# not a comment: it does not start the line']);
  });

  test('a byte-order mark and CRLF endings', () => {
    expect(parse('\uFEFF*.tmp\r\n!x.tmp\r\n')).toEqual(['*.tmp', '!x.tmp']);
  });

  test.each([
    ['!', '.dockerignore:1: illegal exclusion pattern: "!"'],
    ['ok\n[abc', '.dockerignore:2: syntax error in pattern "[abc"'],
    ['a\\', '.dockerignore:1: syntax error in pattern "a\\\\"'],
  ])('%j is refused', (text, message) => {
    expect(() => parse(text)).toThrow(DockerfileError);
    expect(() => parse(text)).toThrow(message);
  });
});

describe('createIgnoreMatcher', () => {
  test.each<[string, string, boolean]>([
    // **/*.log with an exception for the top-level keep.log
    ['**/*.log\n!keep.log', 'app.log', true],
    ['**/*.log\n!keep.log', 'logs/2024/app.log', true],
    ['**/*.log\n!keep.log', 'keep.log', false],
    ['**/*.log\n!keep.log', 'sub/keep.log', true],
    ['**/*.log\n!keep.log', 'app.txt', false],
    ['**/*.log\n!**/keep.log', 'sub/keep.log', false],
    // a directory pattern ignores everything below it
    ['node_modules', 'node_modules', true],
    ['node_modules', 'node_modules/lodash/index.js', true],
    ['node_modules', 'src/node_modules/x', false],
    ['**/node_modules', 'src/node_modules/x', true],
    // * and ? stay within one segment
    ['*/temp*', 'somedir/temporary.txt', true],
    ['*/temp*', 'somedir/temp', true],
    ['*/temp*', 'temp', false],
    ['*/temp*', 'a/b/temp', false],
    ['*/*/temp*', 'a/b/temp.x', true],
    ['temp?', 'temp1', true],
    ['temp?', 'temp12', false],
    ['temp?', 'temp/', false],
    ['*.md', 'README.md', true],
    ['*.md', 'docs/guide.md', false],
    // classes
    ['[a-c]*.txt', 'b1.txt', true],
    ['[a-c]*.txt', 'd1.txt', false],
    ['[^a]*', 'abc', false],
    ['[^a]*', 'bcd', true],
    // ** forms
    ['docs/**', 'docs/a/b.md', true],
    ['docs/**', 'docs', false],
    ['docs/**/*.png', 'docs/img.png', true],
    ['docs/**/*.png', 'docs/a/b/img.png', true],
    ['docs/**/*.png', 'img.png', false],
    ['**', 'anything/at/all', true],
    ['**/foo', 'foo', true],
    ['**/foo', 'a/b/foo', true],
    ['**/foo', 'a/barfoo', false],
    // dots and regexp characters are literal
    ['.git', '.git/config', true],
    ['.git', 'xgit', false],
    ['a+b(c)', 'a+b(c)', true],
    ['file.txt', 'fileXtxt', false],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    // later rules win
    ['*\n!README.md', 'README.md', false],
    ['*\n!README.md', 'main.go', true],
    ['!a\na', 'a', true],
    ['a\n!a', 'a', false],
    ['a\n!a\na', 'a', true],
    // an exception for a file inside an ignored directory re-includes it
    ['build\n!build/keep.txt', 'build/keep.txt', false],
    ['build\n!build/keep.txt', 'build/other.txt', true],
    // the root itself is never ignored; leading ./ and / in paths are cleaned
    ['*', '.', false],
    ['dist', './dist/x', true],
    ['dist', '/dist', true],
  ])('%j ignores %j: %s', (patterns, path, ignored) => {
    expect(matcher(patterns)(path)).toBe(ignored);
  });

  test('a walker may skip an ignored directory unless an exception could re-include something below it', () => {
    const m = matcher('build\ncache\n!build/keep.txt');
    expect(m('build', true)).toBe(true);
    expect(m.mayReinclude('build')).toBe(true);
    expect(m.mayReinclude('cache')).toBe(false);
    expect(matcher('cache').mayReinclude('cache')).toBe(false);
    expect(matcher('*\n!**/*.go').mayReinclude('vendor')).toBe(true);
    expect(matcher('a/b\n!a/b/c/d').mayReinclude('a/b/c')).toBe(true);
  });

  test('keeps the patterns', () => {
    expect(matcher('a\n!b').patterns).toEqual(['a', '!b']);
  });
});

describe('loadDockerignore', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('reads <context>/.dockerignore; a Dockerfile-specific <dockerfile>.dockerignore wins; none means no patterns', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hafen-dockerignore-'));
    expect(await loadDockerignore(dir)).toEqual([]);
    await writeFile(join(dir, '.dockerignore'), '# deps\nnode_modules\n*.log\n!keep.log\n');
    expect(await loadDockerignore(dir)).toEqual(['node_modules', '*.log', '!keep.log']);
    await mkdir(join(dir, 'docker'));
    const dockerfile = join(dir, 'docker', 'api.Dockerfile');
    expect(await loadDockerignore(dir, { dockerfile })).toEqual(['node_modules', '*.log', '!keep.log']);
    await writeFile(`${dockerfile}.dockerignore`, 'tests\n');
    expect(await loadDockerignore(dir, { dockerfile })).toEqual(['tests']);
  });

  test('a bad pattern names the file and line', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hafen-dockerignore-'));
    await writeFile(join(dir, '.dockerignore'), 'ok\n!\n');
    await expect(loadDockerignore(dir)).rejects.toThrow(`${join(dir, '.dockerignore')}:2: illegal exclusion pattern: "!"`);
  });
});
