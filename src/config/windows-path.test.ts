import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatIssue } from '../errors.js';
import { runtimeRefusals } from '../planner/runtime-support.js';
import { loadStack } from './index.js';
import { parseVolume } from './volumes.js';
import { isWindowsAbsolutePath } from './windows-path.js';

describe('isWindowsAbsolutePath (compose-go paths.IsWindowsAbs)', () => {
  it.each([
    ['C:\\data', true],
    ['c:/x', true],
    ['D:\\', true],
    ['\\\\server\\share', true],
    ['//server/share', true],
    ['\\\\?\\C:\\data', true],
    ['C:data', false], // relative to the drive's current folder: not absolute
    ['C:', false],
    ['/data', false], // absolute, but not a Windows path
    ['./x', false],
    ['data', false],
  ])('%s → %s', (p, expected) => expect(isWindowsAbsolutePath(p)).toBe(expected));
});

describe('Windows paths in volumes are kept as written, as Compose keeps them', () => {
  // compose-go format/volume.go: a ":" after a single letter is a drive; paths/unix.go maybeUnixPath:
  // a Windows absolute source is not joined to the project folder.
  const ctx = { dir: '/stack' };
  it.each([
    ['C:\\data:/data', { type: 'bind', source: 'C:\\data', target: '/data', read_only: false, create_host_path: true }],
    ['c:/x:/x:ro', { type: 'bind', source: 'c:/x', target: '/x', read_only: true, create_host_path: true }],
    ['\\\\server\\share:/mnt', { type: 'bind', source: '\\\\server\\share', target: '/mnt', read_only: false, create_host_path: true }],
    ['C:data:/data', { type: 'bind', source: '/stack/C:data', target: '/data', read_only: false, create_host_path: true }], // drive-relative: joined, as compose-go does
  ])('%s', (spec, expected) => expect(parseVolume(spec, ctx)).toEqual(expected));

  it('long syntax', () => {
    expect(parseVolume({ type: 'bind', source: 'C:\\data', target: '/data' }, ctx)).toEqual({ type: 'bind', source: 'C:\\data', target: '/data', read_only: false, create_host_path: false });
  });
});

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('up refuses a Windows bind source on the embedded runtime, before anything is touched', () => {
  it('names the service, the path and what to do; Docker gets it as written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-win-'));
    made.push(dir);
    fs.writeFileSync(path.join(dir, 'stack.yaml'), 'services:\n  api:\n    image: host\n    volumes:\n      - C:\\data:/data\n');
    const stack = await loadStack({ cwd: dir, env: {} });
    expect(runtimeRefusals(stack, 'embedded').map(formatIssue)).toEqual([
      'stack.yaml:4:5 services.api.volumes: the bind source C:\\data is a Windows path, which does not exist on Linux; write a Linux path (./data, /srv/data), or use --runtime docker with a Windows Docker engine',
    ]);
    expect(runtimeRefusals(stack, 'docker')).toEqual([]);
  });
});
