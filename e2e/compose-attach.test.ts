/**
 * `attach: false` (Compose): an attached `up` does not show that service's logs, while it runs and
 * `stack logs` still has them; the service still ends nothing and is stopped with the rest.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter')))('attach: false in an attached up', () => {
  let dir: string;
  let root: string;
  const project = `att${randomBytes(3).toString('hex')}`;

  const run = (args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [cliPath, '-f', path.join(dir, 'compose.yaml'), '-p', project, '--progress', 'plain', ...args], {
      cwd: repoRoot,
      env: { ...process.env, HAFEN_ROOT: root, HAFEN_SUBNET_POOL: '10.244.0.0/16:24', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 90_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-attach-'));
    root = path.join(dir, 'root');
    fs.writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        'services:',
        '  shown:',
        '    image: host',
        '    command: ["sh", "-c", "sleep 1; echo shown-line"]',
        '    depends_on: [quiet]',
        '  quiet:',
        '    image: host',
        '    attach: false',
        '    command: ["sh", "-c", "echo quiet-line; exec sleep 60"]',
        '',
      ].join('\n'),
    );
  });

  afterAll(() => {
    run(['down', '-v']);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('shows the other services\' logs only; stack logs keeps the quiet one\'s; down leaves nothing', () => {
    const up = run(['up', '--exit-code-from', 'shown']);
    expect(up.code).toBe(0);
    const shown = up.stdout + up.stderr; // the merged logs, wherever the renderer puts them
    expect(shown).toContain('shown-line');
    expect(shown).not.toContain('quiet-line');
    expect(run(['logs', 'quiet']).stdout).toContain('quiet-line');
    expect(run(['down', '-v']).code).toBe(0);
    expect(stackLeftovers(project, root)).toEqual([]);
  });
});
