/** The unset-variable warning as a user sees it: once per variable, on stderr, never in what stdout prints. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stack } from './cli.js';

describe('an unset variable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-unset-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(
    path.join(dir, 'stack.yaml'),
    ['services:', '  api:', '    image: host', '    command: ["echo", "$NOPE_A", "${NOPE_A}"]', '    environment:', '      B: ${NOPE_B}', '      C: ${NOPE_C:-fine}', ''].join('\n'),
  );

  it('is named once on stderr, in Compose\'s words, and stdout stays JSON', () => {
    const r = stack(['config', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      'warning: The "NOPE_A" variable is not set. Defaulting to a blank string.',
      'warning: The "NOPE_B" variable is not set. Defaulting to a blank string.',
    ]);
    expect(JSON.parse(r.stdout).services.api.environment).toEqual({ B: '', C: 'fine' });
  });

  it('says nothing once it is set', () => {
    const r = stack(['config', '-q'], { cwd: dir, env: { NOPE_A: 'a', NOPE_B: 'b' } });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
