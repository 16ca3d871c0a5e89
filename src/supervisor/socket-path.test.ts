import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSupervisorSocketName } from '../runtime/embedded/rootless/rootless-paths.js';
import { supervisorSocketPath } from './socket-path.js';

describe('where a supervisor listens', () => {
  it('for root, beside the project state', () => {
    expect(supervisorSocketPath('/var/lib/hafen', 'shop', false)).toBe('/var/lib/hafen/projects/shop/supervisor.sock');
  });

  it('for a user without root, in $XDG_RUNTIME_DIR/hafen, one name per project and state root', () => {
    const before = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = '/run/user/1001';
    try {
      const a = supervisorSocketPath('/home/u/.local/share/hafen', 'shop', true);
      expect(path.dirname(a)).toBe('/run/user/1001/hafen');
      expect(path.basename(a)).toMatch(/^shop-[0-9a-f]{8}\.sock$/);
      expect(isSupervisorSocketName(path.basename(a))).toBe(true);
      expect(supervisorSocketPath('/home/u/.local/share/hafen', 'shop', true)).toBe(a); // stable
      expect(supervisorSocketPath('/tmp/other-root', 'shop', true)).not.toBe(a);
      expect(() => supervisorSocketPath('/tmp/r', '../x', true)).toThrow(/not a usable project name/);
      expect(isSupervisorSocketName('userns.json')).toBe(false);
      expect(isSupervisorSocketName('loopback-123.sock')).toBe(false);
    } finally {
      if (before === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = before;
    }
  });
});
