/** String `command:`, `entrypoint:` and `ready: exec:` through loadStack: split into words as Compose does, errors at the key. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack, serializeStack } from './index.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-words-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  return loadStack({ cwd: dir, env });
}

async function errorLines(yaml: string): Promise<string[]> {
  const err = await load(yaml).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message.split('\n');
}

describe('string commands are argv words, not a shell line', () => {
  it('splits command and entrypoint as Compose does', async () => {
    const stack = await load(
      [
        'services:',
        '  tempo:',
        '    image: host',
        '    command: -target=all -config.file=/etc/x.yaml',
        '  q:',
        '    image: host',
        `    entrypoint: /bin/busybox  echo "two  words" 'it''s' "" x\\ y`,
        '    command: >-',
        '      --name="a b"',
        '      --flag',
      ].join('\n'),
    );
    expect(stack.services.tempo!.command).toEqual(['-target=all', '-config.file=/etc/x.yaml']);
    expect(stack.services.tempo!.entrypoint).toBeUndefined();
    expect(stack.services.q!.entrypoint).toEqual(['/bin/busybox', 'echo', 'two  words', 'its', '', 'x y']);
    expect(stack.services.q!.command).toEqual(['--name=a b', '--flag']);
  });

  it('keeps "" and [] as given-but-empty, apart from not given', async () => {
    const stack = await load(
      ['services:', '  a: {image: host, command: "", entrypoint: ""}', '  b: {image: host, command: [], entrypoint: []}', '  c: {image: host}'].join('\n'),
    );
    expect(stack.services.a).toMatchObject({ command: [], entrypoint: [] });
    expect(stack.services.b).toMatchObject({ command: [], entrypoint: [] });
    expect(stack.services.c!.command).toBeUndefined();
    expect(stack.services.c!.entrypoint).toBeUndefined();
    expect(serializeStack(stack)).toMatchObject({ services: { a: { command: [], entrypoint: [] } } });
  });

  it('expands variables once, by interpolation; the words keep $ as it came out', async () => {
    const stack = await load('services:\n  a:\n    image: host\n    command: echo "${GREETING}" $$HOME \'$$1\'\n', { GREETING: 'hi there' });
    expect(stack.services.a!.command).toEqual(['echo', 'hi there', '$HOME', '$1']);
  });

  it('splits a ready: exec string like command', async () => {
    const stack = await load('services:\n  a: {image: host, ready: {exec: "test -f \'/tmp/ready file\'"}}\n');
    expect(stack.services.a!.ready).toMatchObject({ kind: 'exec', command: ['test', '-f', '/tmp/ready file'] });
  });

  it('keeps a string healthcheck test as CMD-SHELL, as Compose does', async () => {
    const stack = await load('services:\n  a: {image: host, healthcheck: {test: "pg_isready && echo ok"}}\n');
    expect(stack.services.a!.healthcheck!.test).toEqual(['CMD-SHELL', 'pg_isready && echo ok']);
  });

  it('cuts a string command at a shell operator as Compose does, with a warning at the key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-words-'));
    made.push(dir);
    fs.writeFileSync(
      path.join(dir, 'stack.yaml'),
      ['services:', '  a:', '    image: host', '    command: npm ci && npm start', '    entrypoint: serve 2>&1'].join('\n'),
    );
    const warnings: string[] = [];
    const stack = await loadStack({ cwd: dir, env: {}, onWarning: (w) => warnings.push(w) });
    expect(stack.services.a).toMatchObject({ command: ['npm', 'ci'], entrypoint: ['serve'] });
    expect(warnings).toEqual([
      'stack.yaml:4:14 services.a.command: "&&" is shell syntax, but a string command runs without a shell: as Compose, hafen runs ["npm","ci"] and drops "&& npm start"; write ["sh", "-c", "…"] to run it in a shell',
      'stack.yaml:5:17 services.a.entrypoint: "2>&" is shell syntax, but a string command runs without a shell: as Compose, hafen runs ["serve"] and drops "2>&1"; write ["sh", "-c", "…"] to run it in a shell',
    ]);
  });

  it('names file:line:col and the key for a string that cannot be split', async () => {
    const lines = await errorLines(
      [
        'services:',
        '  a:',
        '    image: host',
        '    command: echo "unclosed',
        '    entrypoint: run \\',
        '  b:',
        '    image: host',
        '    command: npm ci && npm start',
        '    ready: {exec: "cat /x | grep y"}',
      ].join('\n'),
    );
    expect(lines).toEqual([
      'stack.yaml:4:14 services.a.command: the double quote (character 6 of the string) is never closed',
      'stack.yaml:5:17 services.a.entrypoint: it ends with a lone backslash; write \\\\ for a literal one',
      'stack.yaml:9:19 services.b.ready.exec: "|" (character 8 of the string) is shell syntax, but this string is split into words and run without a shell; quote it, or write the command as a list instead, e.g. ["sh", "-c", "…"] for a shell',
    ]);
  });
});
