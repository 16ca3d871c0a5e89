import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadStack } from './index.js';
import { parseVolume } from './volumes.js';

const ctx = { dir: '/stack', home: '/home/me' };

describe('volumes: short syntax', () => {
  it.each([
    ['pgdata:/data', { type: 'volume', source: 'pgdata', target: '/data', read_only: false }],
    ['pgdata:/data:ro', { type: 'volume', source: 'pgdata', target: '/data', read_only: true }],
    ['./seed:/seed:ro', { type: 'bind', source: '/stack/seed', target: '/seed', read_only: true, create_host_path: true }],
    ['../shared:/shared', { type: 'bind', source: '/shared', target: '/shared', read_only: false, create_host_path: true }],
    ['.:/src:rw', { type: 'bind', source: '/stack', target: '/src', read_only: false, create_host_path: true }],
    ['/abs:/x', { type: 'bind', source: '/abs', target: '/x', read_only: false, create_host_path: true }],
    ['~/cache:/cache:ro,z', { type: 'bind', source: '/home/me/cache', target: '/cache', read_only: true, create_host_path: true }],
    ['/anon', { type: 'volume', target: '/anon', read_only: false }],
  ])('%j', (input, expected) => expect(parseVolume(input, ctx)).toEqual(expected));
});

describe('volumes: long syntax', () => {
  it.each([
    [{ type: 'volume' as const, source: 'data', target: '/data' }, { type: 'volume', source: 'data', target: '/data', read_only: false }],
    [{ type: 'volume' as const, target: '/cache' }, { type: 'volume', target: '/cache', read_only: false }],
    [
      { type: 'bind' as const, source: 'conf', target: '/etc/app', read_only: true },
      { type: 'bind', source: '/stack/conf', target: '/etc/app', read_only: true, create_host_path: false },
    ],
    [
      { type: 'bind' as const, source: '/x', target: '/x', bind: { create_host_path: true } },
      { type: 'bind', source: '/x', target: '/x', read_only: false, create_host_path: true },
    ],
    [{ type: 'tmpfs' as const, target: '/tmp' }, { type: 'tmpfs', target: '/tmp' }],
    // `mode: 01777` or `0o1777` in the file: the tree holds 1023, as go-yaml reads it (file-mode.test.ts has the rest)
    [{ type: 'tmpfs' as const, target: '/tmp', tmpfs: { size: '64m', mode: 0o1777 } }, { type: 'tmpfs', target: '/tmp', size: 64 * 1024 ** 2, mode: 0o1777 }],
  ])('%j', (input, expected) => expect(parseVolume(input, ctx)).toEqual(expected));
});

describe('volumes: errors', () => {
  it.each([
    ['data:relative', 'the mount target "relative" must be an absolute path inside the container'],
    ['relative', 'the mount target "relative" must be an absolute path inside the container'],
    ['ab:/b:ro:x', 'is not a mount'],
    [':/data', 'is not a mount'],
    ['bad name:/data', '"bad name" is not a volume name'],
    ['~other/x:/x', 'only "~/" (your own home) is supported'],
  ])('%j: %s', (input, message) => expect(() => parseVolume(input, ctx)).toThrow(message));

  it('refuses ~ without HOME, a bind without source, a tmpfs with one, and a bad mode', () => {
    expect(() => parseVolume('~/x:/x', { dir: '/stack' })).toThrow('HOME is not set');
    expect(() => parseVolume({ type: 'bind', target: '/x' }, ctx)).toThrow('a bind mount needs a source');
    expect(() => parseVolume({ type: 'tmpfs', source: 'x', target: '/x' }, ctx)).toThrow('a tmpfs mount has no source');
    expect(() => parseVolume({ type: 'tmpfs', target: '/x', tmpfs: { mode: 0o17777 } }, ctx)).toThrow('8191 is not a file mode');
  });
});

describe('unknown short-syntax mount options', () => {
  it('are ignored as Compose ignores them, with a warning at the entry (a typo like "roz" leaves the mount read-write)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hafen-mountopt-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'compose.yaml'), 'name: t\nservices:\n  x:\n    image: host\n    volumes: ["traps:/var/traps:roz"]\nvolumes: {traps: {}}\n');
    const warnings: string[] = [];
    const stack = await loadStack({ cwd: dir, env: {}, onWarning: (m) => warnings.push(m) });
    expect(stack.services.x!.volumes[0]).toMatchObject({ type: 'volume', source: 'traps', read_only: false });
    expect(warnings).toEqual(['compose.yaml:5:15 services.x.volumes[0]: unknown mount option "roz" in "traps:/var/traps:roz" is ignored, as Compose ignores it (expected ro, rw, a propagation like rslave, z, Z or nocopy)']);
  });
});
