import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../errors.js';
import { mergeNodes } from './merge.js';
import { flatten, type TreeNode } from './node-tree.js';
import { parseYaml } from './parse-yaml.js';
import { toNodeTree } from './yaml-tree.js';

/** Merges YAML texts in order (files a.yaml, b.yaml, …) and returns the plain result, its source map and issues. */
function merge(...texts: string[]) {
  const issues: ConfigIssue[] = [];
  let merged: TreeNode | undefined;
  texts.forEach((text, i) => {
    const node = toNodeTree(parseYaml(text, `${'abc'[i]}.yaml`)).node!;
    merged = mergeNodes(merged, node, issues);
  });
  return { ...flatten(merged!, 'a.yaml'), issues };
}

/** The merged value of `services.s.<key>`, each file giving `s: {<key>: …}`. */
function key(name: string, ...values: string[]): unknown {
  const { value, issues } = merge(...values.map((v) => `services:\n  s:\n    ${name}: ${v}\n`));
  expect(issues).toEqual([]);
  return (value as { services: { s: Record<string, unknown> } }).services.s[name];
}

// Each row: the key, what the earlier and the later file write, and what compose-go (override/merge.go,
// override/uncity.go at e70e961) gives. Where both files use a mapping, the mapping form is kept
// (compose-go turns it into a sorted NAME=VALUE list with the same meaning).
const RULES: [string, string, string, unknown][] = [
  // Scalars: the later file wins; a mapping merges key by key.
  ['image', 'a', 'b', 'b'],
  ['restart', 'always', 'null', 'always'],
  ['healthcheck', '{test: [CMD, a], interval: 1s}', '{timeout: 2s}', { test: ['CMD', 'a'], interval: '1s', timeout: '2s' }],
  // Replaced whole.
  ['command', '[a, b]', '[c]', ['c']],
  ['entrypoint', '[a, b]', 'x y', 'x y'],
  ['healthcheck', '{test: [CMD, a, b]}', '{test: [CMD-SHELL, c]}', { test: ['CMD-SHELL', 'c'] }],
  ['ulimits', '{nofile: {soft: 1, hard: 2}, nproc: 5}', '{nofile: {soft: 3}}', { nofile: { soft: 3 }, nproc: 5 }],
  // By name, list and mapping forms alike.
  ['environment', '{A: "1", B: "2"}', '{B: "3", C: "4"}', { A: '1', B: '3', C: '4' }],
  ['environment', '[A=1, B=2]', '[B=3, C=4]', ['A=1', 'B=3', 'C=4']],
  ['environment', '[A=1, B=2]', '{B: "3"}', { A: '1', B: '3' }],
  ['environment', '{A: "1"}', '[A, C=x=y]', { A: null, C: 'x=y' }],
  ['labels', '[a=1]', '[a=2, b]', ['a=2', 'b']],
  ['sysctls', '{net.core.somaxconn: 1024}', '[net.core.somaxconn=2048]', { 'net.core.somaxconn': '2048' }],
  ['build', '{context: ., args: [A=1, B=2]}', '{args: {B: "3"}}', { context: '.', args: { A: '1', B: '3' } }],
  ['build', './app', '{dockerfile: Other}', { context: './app', dockerfile: 'Other' }],
  // Lists with one entry per key: a later one takes the earlier one's place.
  ['ports', '["8080:80", "9090:90"]', '["8080:80", "7070:70"]', ['8080:80', '9090:90', '7070:70']],
  ['ports', '["127.0.0.1:8080:80"]', '[{target: 80, published: "8080", host_ip: 127.0.0.1, protocol: tcp}]', [{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' }]],
  ['ports', '["8080:80"]', '["8080:80/udp"]', ['8080:80', '8080:80/udp']],
  ['volumes', '["data:/data", "./a:/a:ro"]', '["other:/data"]', ['other:/data', './a:/a:ro']],
  ['volumes', '["data:/data"]', '[{type: bind, source: ./x, target: /data}]', [{ type: 'bind', source: './x', target: '/data' }]],
  ['secrets', '[token, {source: key, target: /k}]', '[{source: token, mode: 0400}, {source: other, target: /k}]', [{ source: 'token', mode: 0o400 }, { source: 'other', target: '/k' }]],
  ['configs', '[conf]', '[{source: conf, target: /conf}]', [{ source: 'conf', target: '/conf' }]],
  ['expose', '[80, "81"]', '["80", 82]', ['80', '81', 82]],
  ['dns', '8.8.8.8', '[8.8.8.8, 1.1.1.1]', ['8.8.8.8', '1.1.1.1']],
  ['tmpfs', '/run', '/tmp', ['/run', '/tmp']],
  ['env_file', 'a.env', '[{path: a.env, required: false}, b.env]', [{ path: 'a.env', required: false }, 'b.env']],
  ['cap_add', '[NET_ADMIN]', '[NET_ADMIN, SYS_TIME]', ['NET_ADMIN', 'SYS_TIME']],
  ['profiles', '[a]', '[a, b]', ['a', 'b']],
  ['devices', '["/dev/a:/dev/x"]', '["/dev/b:/dev/x"]', ['/dev/b:/dev/x']],
  // Other lists append.
  ['security_opt', '[a]', '[a, b]', ['a', 'a', 'b']],
  ['volumes_from', '[x]', '[y]', ['x', 'y']],
  // extra_hosts: appended, the very same entry only once.
  ['extra_hosts', '["a:1.1.1.1"]', '["a:1.1.1.1", "a:2.2.2.2"]', ['a:1.1.1.1', 'a:2.2.2.2']],
  ['extra_hosts', '{a: 1.1.1.1}', '["b=2.2.2.2"]', ['a=1.1.1.1', 'b=2.2.2.2']],
  // depends_on and networks: names and mappings alike; a list entry is service_started (compose-go: even over an earlier condition).
  ['depends_on', '[db]', '{cache: {condition: service_healthy}}', { db: { condition: 'service_started', required: true }, cache: { condition: 'service_healthy' } }],
  ['depends_on', '{db: {condition: service_healthy}}', '[db]', { db: { condition: 'service_started', required: true } }],
  ['networks', '[front]', '{front: {aliases: [web]}, back: null}', { front: { aliases: ['web'] }, back: null }],
  ['networks', '{front: {aliases: [a]}}', '{front: {aliases: [a, b]}}', { front: { aliases: ['a', 'b'] } }],
  // logging: options merge for the same driver (or none named); another driver starts afresh.
  ['logging', '{driver: json-file, options: {max-size: 1m}}', '{options: {max-file: "3"}}', { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } }],
  ['logging', '{driver: json-file, options: {max-size: 1m}}', '{driver: syslog}', { driver: 'syslog' }],
  // Tags: !reset removes, !override replaces.
  ['ports', '["8080:80"]', '!override ["9090:90"]', ['9090:90']],
  ['environment', '{A: "1"}', '!override {B: "2"}', { B: '2' }],
];

describe('merging files as Compose does', () => {
  it.each(RULES)('%s: %s then %s', (name, a, b, expected) => {
    expect(key(name, a, b)).toEqual(expected);
  });

  it('adds services and keys, merges shared mappings, and replaces scalars', () => {
    const { value } = merge('services:\n  a: {image: x, labels: {k: v}}\n', 'services:\n  a: {image: y}\n  b: {image: z}\nnetworks: {n: {}}\n');
    expect(value).toEqual({ services: { a: { image: 'y', labels: { k: 'v' } }, b: { image: 'z' } }, networks: { n: {} } });
  });

  it('!reset removes the key (and entries of a mapping) whatever the earlier files said', () => {
    const { value } = merge(
      'services:\n  s:\n    image: x\n    ports: ["8080:80"]\n    environment: {A: "1", B: "2"}\n    command: [a]\n',
      'services:\n  s:\n    ports: !reset []\n    environment:\n      A: !reset null\n    command: !reset\n    user: !reset root\n',
    );
    expect(value).toEqual({ services: { s: { image: 'x', environment: { B: '2' } } } });
  });

  it('!override on a scalar reads it as YAML would', () => {
    const { value } = merge('services:\n  s: {replicas: 1}\n', 'services:\n  s: {replicas: !override 3}\n');
    expect(value).toEqual({ services: { s: { replicas: 3 } } });
  });

  it('keeps the file and position each value was written at', () => {
    const { source } = merge('services:\n  s:\n    image: x\n    ports: ["1:1"]\n', 'services:\n  s:\n    user: me\n    ports:\n      - "2:2"\n');
    expect(source.locate('services.s.image')).toMatchObject({ file: 'a.yaml', line: 3, col: 5 });
    expect(source.locate('services.s.user')).toMatchObject({ file: 'b.yaml', line: 3, col: 5 });
    expect(source.locateValue('services.s.ports[0]')).toMatchObject({ file: 'a.yaml', line: 4, col: 13 });
    expect(source.locateValue('services.s.ports[1]')).toMatchObject({ file: 'b.yaml', line: 5, col: 9 });
  });

  it('refuses a list where the earlier file has a mapping, pointing at the later file', () => {
    const { issues } = merge('services:\n  s:\n    deploy: {replicas: 1}\n', 'services:\n  s:\n    deploy: [x]\n');
    expect(issues.map((i) => `${i.location.file}:${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`)).toEqual([
      'b.yaml:3:13 services.s.deploy: cannot merge a list into the mapping written at a.yaml:3:13; use !override to replace it',
    ]);
  });
});
