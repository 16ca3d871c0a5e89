/**
 * Every fixture as a user meets it: each valid stack loads; each broken one fails with the first
 * line in its expected.txt, read from its own folder with no -f. Cycle fixtures (marked
 * `needs-planner`) are the planner's to catch and are checked through the CLI instead.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack, serializeStack } from './index.js';
import { stringify } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const folders = (kind: string) => fs.readdirSync(path.join(root, kind)).filter((f) => fs.statSync(path.join(root, kind, f)).isDirectory()).sort();
const firstLine = (err: unknown) => String((err as Error).message).split('\n')[0];

describe('valid fixtures', () => {
  it('there are at least 6', () => expect(folders('valid').length).toBeGreaterThanOrEqual(6));

  it.each(folders('valid'))('%s loads, and its `stack config` output loads to the same model', async (name) => {
    const dir = path.join(root, 'valid', name);
    const stack = await loadStack({ cwd: dir, env: {} });
    expect(Object.keys(stack.services).length).toBeGreaterThan(0);
    const printed = stringify(serializeStack(stack), { lineWidth: 0, aliasDuplicateObjects: false });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-fixture-'));
    try {
      fs.writeFileSync(path.join(tmp, 'stack.yaml'), printed);
      const again = await loadStack({ cwd: tmp, env: {} });
      // ports_without_address says how the file was written (the printed one names every address).
      const { source: _a, file: _b, files: _bf, dir: _c, ports_without_address: _g, ...model } = stack;
      const { source: _d, file: _e, files: _ef, dir: _f, ports_without_address: _h, ...reloaded } = again;
      expect(reloaded).toEqual(model);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });
});

describe('broken fixtures', () => {
  const broken = folders('broken');
  const expected = (name: string) => fs.readFileSync(path.join(root, 'broken', name, 'expected.txt'), 'utf8').split('\n')[0];
  const needsPlanner = (name: string) => fs.existsSync(path.join(root, 'broken', name, 'needs-planner'));
  const generated = (name: string) => fs.existsSync(path.join(root, 'broken', name, 'generate.mjs'));

  it('there are at least 34, each with its expected message', () => {
    expect(broken.length).toBeGreaterThanOrEqual(34);
    for (const name of broken) expect(expected(name), name).toMatch(/^\S+:\d+:\d+ /);
  });

  it.each(broken.filter((n) => !needsPlanner(n) && !generated(n)))('%s fails with its expected message', async (name) => {
    const err = await loadStack({ cwd: path.join(root, 'broken', name), env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'it loaded').toBeInstanceOf(ConfigError);
    expect(firstLine(err)).toBe(expected(name));
  });

  it.each(broken.filter(generated))('%s (written by its generate.mjs) fails with its expected message', async (name) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-generated-'));
    try {
      execFileSync(process.execPath, [path.join(root, 'broken', name, 'generate.mjs'), tmp]);
      const err = await loadStack({ cwd: tmp, env: {} }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect(firstLine(err)).toBe(expected(name));
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });

  it.each(broken.filter(needsPlanner))('%s loads (its cycle is the planner\'s to name)', async (name) => {
    await expect(loadStack({ cwd: path.join(root, 'broken', name), env: {} })).resolves.toBeDefined();
  });
});
