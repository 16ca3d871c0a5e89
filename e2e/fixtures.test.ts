/**
 * Every fixture through the built CLI, as a user would run it from the fixture's folder:
 * valid ones print their config and plan; broken ones exit 2 with their expected message and
 * change nothing (no state folder appears, the fixture folder is untouched).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, stack } from './cli.js';

const valid = path.join(repoRoot, 'fixtures/valid');
const broken = path.join(repoRoot, 'fixtures/broken');
const dirs = (root: string) => fs.readdirSync(root).filter((d) => fs.statSync(path.join(root, d)).isDirectory()).sort();
const hafenRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-fixtures-'));
const env = { HAFEN_ROOT: path.join(hafenRoot, 'state') };

/** A listing of a folder's files with sizes and mtimes, to show nothing was written. */
function snapshot(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => {
      const p = path.join(e.parentPath, e.name);
      const s = fs.lstatSync(p);
      return `${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`;
    })
    .sort()
    .join('\n');
}

afterAll(() => fs.rmSync(hafenRoot, { recursive: true, force: true }));

describe('valid fixtures', () => {
  it.each(dirs(valid))('%s: config and plan succeed', (name) => {
    const cwd = path.join(valid, name);
    const config = stack(['config', '-q'], { cwd, env });
    expect(config.stderr).toBe('');
    expect(config.code).toBe(0);
    const plan = stack(['plan'], { cwd, env });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^\[\] -> #1 /);
  });
});

describe('broken fixtures', () => {
  const names = dirs(broken);
  it('there are at least 30', () => expect(names.length).toBeGreaterThanOrEqual(30));

  it.each(names)('%s: exits 2 with its message and changes nothing', (name) => {
    const fixture = path.join(broken, name);
    const expected = fs.readFileSync(path.join(fixture, 'expected.txt'), 'utf8').trim();
    // A fixture too big to commit (over the size limit) is written by its generator into a temp folder.
    const generator = path.join(fixture, 'generate.mjs');
    const cwd = fs.existsSync(generator) ? fs.mkdtempSync(path.join(hafenRoot, `${name}-`)) : fixture;
    if (cwd !== fixture) execFileSync(process.execPath, [generator, cwd]);
    const before = snapshot(cwd);
    for (const args of [['config'], ['plan']]) {
      const r = stack(args, { cwd, env });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(`error: ${expected}`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    expect(snapshot(cwd)).toBe(before);
    expect(fs.existsSync(env.HAFEN_ROOT)).toBe(false);
  });
});
