import { describe, expect, it } from 'vitest';
import { localStateRoot } from './local-state.js';

describe('localStateRoot: this machine\'s bookkeeping for remote hosts', () => {
  it.each([
    ['darwin', {}, '/Users/ann', '/Users/ann/Library/Application Support/hafen'],
    ['darwin', { XDG_DATA_HOME: '/Users/ann/.data' }, '/Users/ann', '/Users/ann/.data/hafen'],
    ['darwin', { XDG_DATA_HOME: 'relative' }, '/Users/ann', '/Users/ann/Library/Application Support/hafen'],
    ['win32', { LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' }, 'C:\\Users\\ann', 'C:\\Users\\ann\\AppData\\Local\\hafen'],
    ['win32', {}, 'C:\\Users\\ann', 'C:\\Users\\ann\\AppData\\Local\\hafen'],
    ['freebsd', {}, '/home/ann', '/home/ann/.local/share/hafen'],
    ['darwin', { HAFEN_ROOT: '/srv/hafen' }, '/Users/ann', '/srv/hafen'],
  ])('%s with %j, home %s: %s', (platform, env, home, expected) => {
    expect(localStateRoot(env, platform, home)).toBe(expected);
  });

  it('on Linux is the embedded runtime\'s own root (a user\'s data folder)', () => {
    expect(localStateRoot({ XDG_DATA_HOME: '/home/ann/.local/share' }, 'linux', '/home/ann')).toBe(process.getuid?.() === 0 ? '/var/lib/hafen' : '/home/ann/.local/share/hafen');
  });
});
