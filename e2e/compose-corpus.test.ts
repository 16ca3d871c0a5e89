/**
 * The Compose conformance corpus (issue 12): each folder of fixtures/compose/ is one area of the
 * Compose specification, a compose file written from the spec's documented fields, and what
 * `stack config --json` must print for it, run through the built CLI from the folder as a user would.
 *
 * A folder holds:
 *   - compose.yaml (and any other files it names);
 *   - expected.json: a part of the normalized document. Mappings match as subsets (keys not listed
 *     are not checked), sequences element by element with the same length, scalars exactly; the
 *     string "<absent>" means the key must not be there; "<DIR>" in a string stands for the
 *     folder's absolute path;
 *   - or expected-error.txt: the exact message (stderr, trimmed) of a file that must be refused
 *     with exit code 2;
 *   - expected-stderr.txt (optional): lines that must each appear exactly once in stderr (warnings);
 *   - forbidden.txt (optional): strings (one a line) that must appear neither in stdout nor stderr
 *     (secret values);
 *   - run.json (optional): {"args": [global options before `config`], "env": {…}, "stdin": "file"};
 *     the environment is otherwise only PATH and HOME, so the machine's variables do not leak in;
 *   - pending (optional): the reason the area is skipped (its feature is not merged yet).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from './cli.js';

const corpus = path.join(repoRoot, 'fixtures/compose');
const ABSENT = '<absent>';

interface RunSpec {
  args?: string[];
  env?: Record<string, string>;
  stdin?: string;
}

const areas = fs
  .readdirSync(corpus)
  .filter((d) => fs.statSync(path.join(corpus, d)).isDirectory())
  .sort();

function readIf(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** `stack …args config --json` in `dir`, as run.json says. */
function configJson(dir: string, spec: RunSpec) {
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [cliPath, ...(spec.args ?? []), 'config', '--json'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...spec.env },
    input: spec.stdin === undefined ? undefined : fs.readFileSync(path.join(dir, spec.stdin)),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Where `actual` differs from the partial document `expected`, one line per difference. */
function differences(expected: unknown, actual: unknown, at = '$'): string[] {
  if (expected === ABSENT) return actual === undefined ? [] : [`${at}: expected absent, got ${JSON.stringify(actual)}`];
  if (actual === undefined) return [`${at}: missing, expected ${JSON.stringify(expected)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected a sequence ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) {
      return [`${at}: expected ${expected.length} items ${JSON.stringify(expected)}, got ${actual.length} ${JSON.stringify(actual)}`];
    }
    return expected.flatMap((e, i) => differences(e, actual[i], `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return [`${at}: expected a mapping, got ${JSON.stringify(actual)}`];
    }
    const a = actual as Record<string, unknown>;
    return Object.entries(expected).flatMap(([k, e]) => differences(e, a[k], `${at}.${k}`));
  }
  return Object.is(expected, actual) ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** The expected document with "<DIR>" replaced by the folder's path. */
function withDir(value: unknown, dir: string): unknown {
  if (typeof value === 'string') return value.replaceAll('<DIR>', dir);
  if (Array.isArray(value)) return value.map((v) => withDir(v, dir));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDir(v, dir)]));
  }
  return value;
}

const lines = (text: string | undefined) => (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);

describe('Compose conformance corpus (fixtures/compose)', () => {
  it('has areas, each with an expectation', () => {
    expect(areas.length).toBeGreaterThan(10);
    for (const area of areas) {
      const dir = path.join(corpus, area);
      const has = (f: string) => fs.existsSync(path.join(dir, f));
      expect(has('expected.json') !== has('expected-error.txt'), `${area}: one of expected.json, expected-error.txt`).toBe(true);
    }
  });

  for (const area of areas) {
    const dir = path.join(corpus, area);
    const pending = readIf(path.join(dir, 'pending'));
    if (pending !== undefined) {
      it.skip(`${area} (pending: ${pending.trim()})`, () => {});
      continue;
    }
    it(area, () => {
      const spec = JSON.parse(readIf(path.join(dir, 'run.json')) ?? '{}') as RunSpec;
      const r = configJson(dir, spec);
      const expectedError = readIf(path.join(dir, 'expected-error.txt'));
      for (const secret of lines(readIf(path.join(dir, 'forbidden.txt')))) {
        expect(r.stdout, `stdout shows "${secret}"`).not.toContain(secret);
        expect(r.stderr, `stderr shows "${secret}"`).not.toContain(secret);
      }
      for (const line of lines(readIf(path.join(dir, 'expected-stderr.txt')))) {
        expect(r.stderr.split(line).length - 1, `stderr names once: ${line}\n${r.stderr}`).toBe(1);
      }
      if (expectedError !== undefined) {
        expect(r.stderr.trim()).toBe(withDir(expectedError.trim(), dir));
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        return;
      }
      expect(r.stderr.replace(/^.*warn.*$/gim, '').trim(), 'no error').toBe('');
      expect(r.code).toBe(0);
      const expected = withDir(JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')), dir);
      expect(differences(expected, JSON.parse(r.stdout))).toEqual([]);
    });
  }
});
