/**
 * Values as Compose reads them, as a user sees them: the unset-variable warning (once per variable,
 * on stderr, never in what stdout prints) and a Windows bind source refused by `up` on the embedded
 * runtime before anything is touched.
 */
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

describe('a Windows bind source', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-winbind-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'stack.yaml'), 'services:\n  api:\n    image: host\n    command: ["true"]\n    volumes:\n      - C:\\data:/data\n');

  it('is kept as written by config, and refused by up on the embedded runtime, naming it, with nothing made', () => {
    const config = stack(['config', '--json'], { cwd: dir });
    expect(config.code, config.stderr).toBe(0);
    expect(JSON.parse(config.stdout).services.api.volumes[0]).toMatchObject({ type: 'bind', source: 'C:\\data', target: '/data' });
    const up = stack(['--runtime', 'embedded', '-p', `winbind${process.pid}`, 'up', '-d'], { cwd: dir });
    expect(up).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: stack.yaml:5:5 services.api.volumes: the bind source C:\\data is a Windows path, which does not exist on Linux; write a Linux path (./data, /srv/data), or use --runtime docker with a Windows Docker engine\n',
    });
    expect(fs.readdirSync(dir)).toEqual(['stack.yaml']); // no folder named "C:\\data" made beside it
  });
});
