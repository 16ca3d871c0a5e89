/**
 * `x-hafen-strict-limits` (issue 17): the file's way to ask what `--strict-limits` asks, that `up` and
 * `run` refuse to start when a limit cannot be applied. Loaded into `Stack.strictLimits`; anything
 * but a boolean is a config error naming the key's place.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack } from './load-stack.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function stackOf(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-strict-limits-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  return loadStack({ cwd: dir, env: {} });
}

const SERVICE = 'services:\n  app: {image: host, mem_limit: 64m}\n';

describe('x-hafen-strict-limits', () => {
  it('true asks for the refusal; false or absent does not', async () => {
    expect((await stackOf(`x-hafen-strict-limits: true\n${SERVICE}`)).strictLimits).toBe(true);
    expect((await stackOf(`x-hafen-strict-limits: false\n${SERVICE}`)).strictLimits).toBeUndefined();
    expect((await stackOf(SERVICE)).strictLimits).toBeUndefined();
  });

  it('refuses a value that is not a boolean, at its place', async () => {
    const err = await stackOf(`name: lim\n${SERVICE}x-hafen-strict-limits: "yes"\n`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).location).toMatchObject({ line: 4, path: 'x-hafen-strict-limits' });
    expect((err as ConfigError).message).toBe(`stack.yaml:4:24 x-hafen-strict-limits: expected true or false, got a string ("yes")`);
  });
});
