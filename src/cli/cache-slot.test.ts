import { describe, expect, it } from 'vitest';
import { cacheSlot } from './cache-slot.js';

describe('cacheSlot', () => {
  it('gives ps, port and the help their own cache', () => {
    expect(cacheSlot(['-p', 'shop', 'ps'])).toBe('ps');
    expect(cacheSlot(['port', 'web', '80'])).toBe('port');
    expect(cacheSlot(['--help'])).toBe('help');
    expect(cacheSlot(['ps', '-h'])).toBe('help');
    expect(cacheSlot([])).toBe('help');
  });

  it('leaves every other command on the shipped cache', () => {
    expect(cacheSlot(['-f', 'stack.yaml', 'config', '-q'])).toBeUndefined();
    expect(cacheSlot(['up', '-d'])).toBeUndefined();
    expect(cacheSlot(['--version'])).toBeUndefined();
  });
});
