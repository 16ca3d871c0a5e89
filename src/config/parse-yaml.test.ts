import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseYaml } from './parse-yaml.js';
import { MAX_ALIAS_EXPANSION, MAX_DEPTH, ScalarError, toTree } from './yaml-tree.js';

const tree = (text: string, hook?: (s: string, plain: boolean) => unknown) => toTree(parseYaml(text, 'stack.yaml'), hook);
const messages = (text: string) => tree(text).issues.map((i) => `${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`);
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('did not fail');
};

describe('parseYaml', () => {
  it('reports the first syntax error at file:line:col', () => {
    expect(failure(() => parseYaml('services:\n  api:\n\timage: x\n', 'stack.yaml'))).toBe('stack.yaml:3:1 invalid YAML: tabs are not allowed as indentation');
    expect(failure(() => parseYaml('a: "open\n', 'dir/stack.yaml'))).toMatch(/^dir\/stack\.yaml:2:1 invalid YAML: missing closing "quote/);
  });

  it('refuses several documents and unknown tags', () => {
    expect(failure(() => parseYaml('a: 1\n---\nb: 2\n', 'stack.yaml'))).toMatch(/^stack\.yaml:2:1 invalid YAML: source contains multiple documents/);
    expect(failure(() => parseYaml('a: !foo x\n', 'stack.yaml'))).toMatch(/^stack\.yaml:1:4 invalid YAML: unresolved tag: !foo/);
  });

  it('reads YAML 1.2: no, yes and on stay strings; 010 is octal, as go-yaml (Compose) reads it', () => {
    expect(tree('a: no\nb: yes\nc: on\nd: true\ne: 010\n').value).toEqual({ a: 'no', b: 'yes', c: 'on', d: true, e: 8 });
  });

  it('refuses a 9-level "billion laughs" quickly, through yaml\'s alias count', () => {
    let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    const names = 'abcdefghi';
    for (let i = 1; i < 9; i++) text += `${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]\n`;
    expect(failure(() => parseYaml(text, 'stack.yaml'))).toBe('stack.yaml:2:8 aliases expand too much (more than 1000 uses); refusing a possible "billion laughs" file');
  });
});

describe('toTree', () => {
  it('keeps where every key and value was written', () => {
    const { source } = tree('services:\n  api:\n    ports:\n      - "80"\n    depends_on:\n      db: {}\n');
    expect(source.locate('services.api')).toMatchObject({ line: 2, col: 3 });
    expect(source.locateValue('services.api.ports[0]')).toMatchObject({ line: 4, col: 9 });
    expect(source.locate('services.api.depends_on.db')).toMatchObject({ line: 6, col: 7, path: 'services.api.depends_on.db' });
    // Unknown paths fall back to the nearest written parent, keeping the path asked for.
    expect(source.locate('services.api.depends_on.db.condition')).toEqual({ file: 'stack.yaml', line: 6, col: 7, path: 'services.api.depends_on.db.condition' });
    expect(source.locate('nowhere')).toMatchObject({ line: 1, col: 1 });
  });

  it('reports duplicate keys at the second one', () => {
    expect(messages('a: 1\nb: 2\na: 3\n')).toEqual(['3:1 a: duplicate key "a" (first written at line 1)']);
  });

  it('finds duplicates in a big mapping without quadratic work', () => {
    const text = Array.from({ length: 10_000 }, (_, i) => `k${i}: ${i}`).join('\n') + '\nk7: again\n';
    expect(messages(text)).toEqual(['10001:1 k7: duplicate key "k7" (first written at line 8)']);
  });

  it('merges << as Compose does: explicit keys win, earlier merges win over later ones', () => {
    const text = [
      'x-a: &a {image: a, restart: always, env: {A: "1"}}',
      'x-b: &b {image: b, user: b, stop_signal: SIGINT}',
      's1: {<<: *a, image: mine}',
      's2:',
      '  image: mine',
      '  <<: [*a, *b]',
      's3: {<<: *b, "<<": quoted}',
    ].join('\n');
    const value = tree(text).value as Record<string, unknown>;
    expect(value.s1).toEqual({ restart: 'always', env: { A: '1' }, image: 'mine' });
    expect(value.s2).toEqual({ image: 'mine', restart: 'always', env: { A: '1' }, user: 'b', stop_signal: 'SIGINT' });
    expect(value.s3).toEqual({ image: 'b', user: 'b', stop_signal: 'SIGINT', '<<': 'quoted' });
  });

  it('gives merged keys the position of the anchor they came from', () => {
    const { source } = tree('x-a: &a\n  image: a\ns:\n  <<: *a\n');
    expect(source.locateValue('s.image')).toMatchObject({ line: 2, col: 10 });
  });

  it('reports unknown aliases, aliases into themselves and bad merges', () => {
    expect(messages('a: *nope\n')).toEqual(['1:4 a: unknown alias *nope (its anchor &nope must come before it)']);
    expect(messages('a: &a [1, *a]\n')).toEqual(['1:11 a[1]: alias *a refers to a node that contains it']);
    expect(messages('a: {<<: 5}\n')).toEqual(['1:9 a: a merge key (<<) takes a mapping or a list of mappings, usually aliases like *defaults']);
  });

  it('keeps "__proto__" as data', () => {
    const value = tree('__proto__: {polluted: true}\n').value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rewrites string scalars through the hook, reporting its errors at the scalar', () => {
    const hook = (s: string, plain: boolean) => {
      if (s === 'bad') throw new ScalarError('bad value');
      return plain ? s.toUpperCase() : s;
    };
    const t = tree('a: x\nb: "y"\nc: [1, bad]\n', hook);
    expect(t.value).toEqual({ a: 'X', b: 'y', c: [1, 'bad'] });
    expect(t.issues.map((i) => `${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`)).toEqual(['3:8 c[1]: bad value']);
  });

  it('refuses a quadratic alias blowup by its expanded size', () => {
    const big = Array.from({ length: 2000 }, (_, i) => `  k${i}: v`).join('\n');
    const uses = Array.from({ length: 900 }, (_, i) => `  s${i}: *big`).join('\n');
    expect(failure(() => tree(`x: &big\n${big}\nservices:\n${uses}\n`))).toMatch(
      new RegExp(`^stack\\.yaml:\\d+:\\d+ the file expands to more than ${MAX_ALIAS_EXPANSION} extra values through aliases; refusing it$`),
    );
  });

  it('refuses nesting deeper than the limit', () => {
    const depth = MAX_DEPTH + 5;
    expect(failure(() => tree(`a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`))).toMatch(/the file nested more than 100 levels deep$/);
  });

  it('an empty document has no value', () => {
    expect(tree('# only a comment\n').value).toBeUndefined();
  });
});
