/**
 * examples/vitest-global-setup as a user runs it: vitest with a global setup that brings the stack up
 * through `up()` from hafen, one test against the app's url, and nothing left afterwards.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { repoRoot } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

const example = path.join(repoRoot, 'examples/vitest-global-setup');
const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');

/** This process's environment without what marks it as a vitest worker, so the inner vitest starts afresh. */
function outerEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('VITEST')));
}

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter')))('examples/vitest-global-setup', () => {
  let root: string;
  beforeAll(() => void (root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-vitest-example-'))));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('its test passes against the stack, and the stack is gone afterwards', () => {
    if (!fs.existsSync(path.join(repoRoot, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const project = `vex${randomBytes(3).toString('hex')}`;
    const r = spawnSync(process.execPath, [vitest, 'run', '--root', example], {
      cwd: repoRoot,
      env: { ...outerEnv(), HAFEN_ROOT: root, TEST_STACK_PROJECT: project, HAFEN_SUBNET_POOL: '10.236.0.0/16:24', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 90_000,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).toMatch(/✓ greeting\.test\.ts/);
    expect(output).toMatch(/Tests\s+1 passed \(1\)/);
    expect(stackLeftovers(project, root)).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'projects'))).toEqual([]);
  }, 120_000);
});
