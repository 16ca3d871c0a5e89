import { describe, expect, test } from 'vitest';
import { expandCopySources, type CopyOperation, type CopyRequest, type SourceEntry } from './copy-sources.js';
import { DockerfileError } from './dockerfile-error.js';

const files = (...paths: string[]): SourceEntry[] =>
  paths.map((p) => (p.endsWith('/') ? { path: p.slice(0, -1), type: 'dir' } : p.endsWith('@') ? { path: p.slice(0, -1), type: 'symlink' } : { path: p, type: 'file' }));

const CONTEXT = files(
  'Dockerfile',
  'README.md',
  'bin/',
  'bin/tool@',
  'config.json',
  'docs/',
  'docs/a.md',
  'docs/b.md',
  'package-lock.json',
  'package.json',
  'src/',
  'src/index.ts',
  'src/lib/',
  'src/lib/util.test.ts',
  'src/lib/util.ts',
);

const expand = (sources: string[], dest: string, opts: { isDirInImage?: (p: string) => boolean } = {}, inline: CopyRequest['inline'] = []) =>
  expandCopySources({ kind: 'copy', line: 7, sources, dest, inline }, CONTEXT, { file: 'Dockerfile', ...opts });
/** Operations as `source -> dest` lines. */
const lines = (ops: CopyOperation[]): string[] =>
  ops.map((op) => (op.kind === 'path' ? `${op.source} -> ${op.dest}${op.type === 'file' ? '' : ` (${op.type})`}` : `<<${op.file.path} -> ${op.dest}`));

describe('expandCopySources', () => {
  test.each<[string, string[], string, string[]]>([
    ['a file to a directory', ['README.md'], '/app/', ['README.md -> /app/README.md']],
    ['a file to a file path', ['src/index.ts'], '/app/main.ts', ['src/index.ts -> /app/main.ts']],
    ['a file to the root', ['README.md'], '/', ['README.md -> /README.md']],
    ['a leading / means the context root', ['/README.md'], '/x', ['README.md -> /x']],
    ['./ and redundant parts are cleaned', ['./src/../README.md'], '/x', ['README.md -> /x']],
    ['a glob, in walk order', ['package*.json'], '/app/', ['package-lock.json -> /app/package-lock.json', 'package.json -> /app/package.json']],
    ['a glob in a sub-directory', ['docs/*.md'], '/d/', ['docs/a.md -> /d/a.md', 'docs/b.md -> /d/b.md']],
    ['a glob with a class', ['docs/[b-z].md'], '/d/', ['docs/b.md -> /d/b.md']],
    ['a glob segment in the middle', ['src/*/util.ts'], '/out/', ['src/lib/util.ts -> /out/util.ts']],
    ['** is just * (no recursion)', ['src/**/*.ts'], '/out/', ['src/lib/util.test.ts -> /out/util.test.ts', 'src/lib/util.ts -> /out/util.ts']],
    ['* does not cross a /', ['*.ts'], '/out/', []],
    ['a glob that matches nothing copies nothing', ['*.nothing'], '/out/', []],
    ['a symlink source is passed on for the builder to follow', ['bin/tool'], '/usr/bin/tool', ['bin/tool -> /usr/bin/tool (symlink)']],
    [
      'a directory copies its contents, not itself',
      ['src'],
      '/app/src',
      ['src -> /app/src (dir)', 'src/index.ts -> /app/src/index.ts', 'src/lib -> /app/src/lib (dir)', 'src/lib/util.test.ts -> /app/src/lib/util.test.ts', 'src/lib/util.ts -> /app/src/lib/util.ts'],
    ],
    [
      'a glob matching a directory copies its contents',
      ['s*'],
      '/out/',
      ['src -> /out (dir)', 'src/index.ts -> /out/index.ts', 'src/lib -> /out/lib (dir)', 'src/lib/util.test.ts -> /out/lib/util.test.ts', 'src/lib/util.ts -> /out/lib/util.ts'],
    ],
    ['several sources into a directory', ['README.md', 'config.json'], '/app/', ['README.md -> /app/README.md', 'config.json -> /app/config.json']],
  ])('%s', (_name, sources, dest, expected) => {
    expect(lines(expand(sources, dest))).toEqual(expected);
  });

  test('COPY . copies the whole context', () => {
    const ops = lines(expand(['.'], '/app/'));
    expect(ops[0]).toBe('. -> /app (dir)');
    expect(ops.slice(1)).toEqual(CONTEXT.map((e) => `${e.path} -> /app/${e.path}${e.type === 'file' ? '' : ` (${e.type})`}`));
  });

  test('several sources may go to a path without / when the image has a directory there', () => {
    expect(lines(expand(['README.md', 'config.json'], '/app', { isDirInImage: (p) => p === '/app' }))).toEqual([
      'README.md -> /app/README.md',
      'config.json -> /app/config.json',
    ]);
  });

  test('a single file goes into an existing directory of the image', () => {
    expect(lines(expand(['README.md'], '/app', { isDirInImage: (p) => p === '/app' }))).toEqual(['README.md -> /app/README.md']);
  });

  test('a relative destination is taken from WORKDIR', () => {
    const ops = expandCopySources({ kind: 'copy', line: 1, sources: ['README.md', 'config.json'], dest: '.', workdir: '/srv' }, CONTEXT, { file: 'Dockerfile' });
    expect(lines(ops)).toEqual(['README.md -> /srv/README.md', 'config.json -> /srv/config.json']);
    expect(lines(expandCopySources({ kind: 'copy', line: 1, sources: ['README.md'], dest: 'docs/readme', workdir: '/srv' }, CONTEXT, { file: 'Dockerfile' }))).toEqual([
      'README.md -> /srv/docs/readme',
    ]);
  });

  test('heredoc sources are files named after their delimiter', () => {
    const inline = [{ path: 'EOF', content: 'x\n', mode: 0o644 }];
    expect(lines(expand([], '/etc/app.conf', {}, inline))).toEqual(['<<EOF -> /etc/app.conf']);
    expect(lines(expand([], '/etc/', {}, inline))).toEqual(['<<EOF -> /etc/EOF']);
  });

  test.each<[string, string[], string, string]>([
    ['several sources need a directory', ['README.md', 'config.json'], '/app', 'Dockerfile:7: When using COPY with more than one source file, the destination must be a directory and end with a /'],
    ['so does a glob with several matches', ['docs/*.md'], '/d', 'Dockerfile:7: When using COPY with more than one source file, the destination must be a directory and end with a /'],
    ['a missing source', ['missing.txt'], '/app/', 'Dockerfile:7: COPY source "missing.txt": not found in the build context (or excluded by .dockerignore)'],
    ['a source outside the context', ['../secret.txt'], '/app/', 'Dockerfile:7: forbidden path outside the build context: ../secret.txt'],
    ['a source that climbs out through the root', ['/../../etc/passwd'], '/app/', 'Dockerfile:7: forbidden path outside the build context: /../../etc/passwd'],
    ['a source that climbs out after going in', ['src/../../x'], '/app/', 'Dockerfile:7: forbidden path outside the build context: src/../../x'],
    ['a malformed glob', ['docs/[a.md'], '/d/', 'Dockerfile:7: COPY source "docs/[a.md": syntax error in pattern: [a.md'],
  ])('%s', (_name, sources, dest, message) => {
    expect(() => expand(sources, dest)).toThrow(DockerfileError);
    expect(() => expand(sources, dest)).toThrow(message);
  });

  test('errors name the root when it is a stage', () => {
    expect(() =>
      expandCopySources({ kind: 'copy', line: 3, sources: ['/out/app'], dest: '/app' }, [], { file: 'Dockerfile', rootName: 'stage "builder"' }),
    ).toThrow('Dockerfile:3: COPY source "/out/app": not found in stage "builder"');
  });
});
