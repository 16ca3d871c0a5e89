import { describe, expect, it } from 'vitest';
import { copyTarget } from './copy-target.js';

const dir = { kind: 'dir' } as const;
const file = { kind: 'other' } as const;
const none = { kind: 'none', parentIsDir: true } as const;

describe('copyTarget (docker cp rules)', () => {
  it.each([
    ['a file into an existing folder keeps its name', '/etc/hosts', false, '/tmp', dir, { path: '/tmp/hosts', merge: false }],
    ['a file over an existing file replaces it', '/etc/hosts', false, '/tmp/x', file, { path: '/tmp/x', merge: false }],
    ['a file to a new name', '/etc/hosts', false, '/tmp/new', none, { path: '/tmp/new', merge: false }],
    ['a folder into an existing folder goes under its name', '/data', true, '/tmp', dir, { path: '/tmp/data', merge: false }],
    ['a folder ending in /. gives its contents', '/data/.', true, '/tmp', dir, { path: '/tmp', merge: true }],
    ['a folder to a new name becomes it', '/data', true, '/tmp/copy/', none, { path: '/tmp/copy', merge: false }],
  ] as const)('%s', (_what, src, srcIsDir, dest, state, want) => {
    expect(copyTarget(src, srcIsDir, dest, state)).toEqual(want);
  });

  it.each([
    ['a folder over a file', '/data', true, '/tmp/x', file, 'cannot copy a directory to a file: /tmp/x'],
    ['a file into a missing folder', '/etc/hosts', false, '/nope/', none, 'destination directory /nope/ does not exist'],
    ['a missing parent', '/etc/hosts', false, '/nope/x', { kind: 'none', parentIsDir: false }, '/nope: no such directory'],
    ['a file named as a folder', '/etc/hosts/', false, '/tmp', dir, '/etc/hosts/: not a directory'],
  ] as const)('refuses %s', (_what, src, srcIsDir, dest, state, message) => {
    expect(() => copyTarget(src, srcIsDir, dest, state)).toThrow(message);
  });
});
