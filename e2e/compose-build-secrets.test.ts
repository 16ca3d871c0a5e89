/**
 * Build secrets through the built CLI: a top-level secret (file or variable) named in build.secrets
 * is readable by `RUN --mount=type=secret` on the embedded runtime and nowhere else (no layer, no
 * image config, no output, not in `stack config`); on Docker the build is refused before anything.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { readTarEntries } from '../src/testing/layer-tar.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { stack } from './cli.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('build secrets', () => {
  const fromFile = `file-secret-${randomBytes(10).toString('hex')}`;
  const fromEnv = `env-secret-${randomBytes(10).toString('hex')}`;
  const base = `hafen-e2e-${process.pid}/busybox:latest`;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-build-secrets-'));
    env = { HAFEN_ROOT: path.join(dir, 'state'), CB_TOKEN: fromEnv };
    fs.writeFileSync(path.join(dir, 'token.txt'), fromFile);
    fs.writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        'services:',
        '  app:',
        '    image: cb-secrets:1',
        '    build:',
        '      context: .',
        '      secrets: [token, {source: tok_env, target: envtok}]',
        '      dockerfile_inline: |',
        `        FROM ${base}`,
        '        RUN --mount=type=secret,id=token sha256sum /run/secrets/token | cut -d" " -f1 > /digest-file',
        '        RUN --mount=type=secret,id=envtok,required sha256sum /run/secrets/envtok | cut -d" " -f1 > /digest-env',
        'secrets:',
        '  token: {file: ./token.txt}',
        '  tok_env: {environment: CB_TOKEN}',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stack config shows where each build secret comes from, never its value', () => {
    const r = stack(['config', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(fromFile);
    expect(r.stdout).not.toContain(fromEnv);
    expect(JSON.parse(r.stdout).services.app.build.secrets).toEqual([{ source: 'token' }, { source: 'tok_env', target: 'envtok' }]);
  });

  it.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox')))('the embedded builder mounts them for RUN only: in no layer, no config, no output', async () => {
    const store = openStore(env.HAFEN_ROOT!);
    await importBusyboxImage(store, base);
    const r = stack(['build'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(fromFile);
    expect(`${r.stdout}${r.stderr}`).not.toContain(fromEnv);
    const image = store.images.get('cb-secrets:1')!;
    const files = new Map<string, Buffer>();
    for (const layer of image.manifest.layers) for (const e of await readTarEntries(store.blobs.open(layer.digest))) files.set(e.header.name, e.body);
    expect(files.get('digest-file')?.toString().trim()).toBe(sha256(fromFile));
    expect(files.get('digest-env')?.toString().trim()).toBe(sha256(fromEnv));
    expect([...files.keys()].filter((n) => n.startsWith('run/'))).toEqual([]);
    for (const value of [fromFile, fromEnv]) {
      expect([...files.values()].some((b) => b.includes(value))).toBe(false);
      expect(JSON.stringify(image.config)).not.toContain(value);
    }
  });

  it('the Docker runtime refuses them before anything: its classic builder has no secret mounts', () => {
    const r = stack(['--runtime', 'docker', '-p', `cb-secrets-${process.pid}`, 'build'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('compose.yaml:6:7 services.app.build.secrets: build secrets (RUN --mount=type=secret) need BuildKit');
  });
});
