import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decimalModeWarning, formatFileMode, parseFileMode } from './file-mode.js';
import { loadStack } from './index.js';

describe('parseFileMode', () => {
  // Numbers are what the tree holds after go-yaml's reading of the written scalar (yaml-scalar.ts);
  // strings are compose-go types.FileMode's strconv.ParseInt(s, 8) (loader/tests/secrets_test.go:
  // `mode: 0o440` and `mode: "0440"` both give FileMode(0o440)).
  it.each([
    [0o440, 0o440, 'written 0440 or 0o440'],
    [440, 440, 'written 440: the decimal number, octal 670, as in Compose'],
    ['0440', 0o440, 'a string is octal digits'],
    ['440', 0o440, 'a string is octal digits'],
    ['0o440', 0o440, 'also accepted, though compose-go refuses it'],
    [0, 0, ''],
    [0o7777, 0o7777, 'the largest'],
  ] as [number | string, number, string][])('%j → %s (%s)', (value, mode) => {
    expect(parseFileMode(value)).toBe(mode);
  });

  it.each([
    [0o10000, '4096 is not a file mode'],
    [-1, '-1 is not a file mode'],
    [1.5, '1.5 is not a file mode'],
    ['0x1F', 'expected a file mode in octal digits'],
    ['088', 'expected a file mode in octal digits'],
    ['', 'expected a file mode in octal digits'],
  ] as const)('refuses %j', (value, message) => {
    expect(() => parseFileMode(value)).toThrow(message);
  });

  it('warns of a mode written as plain octal-looking digits, and of nothing else', () => {
    expect(decimalModeWarning('1777')).toBe('1777 is the decimal number 1777 (octal 3361), as Compose reads it; for the octal mode write 0o1777 or 01777');
    expect(decimalModeWarning('440')).toMatch(/^440 is the decimal number 440 \(octal 670\)/);
    // 493 is 0o755 written in decimal: it has a 9, so it cannot be meant as octal
    for (const written of ['01777', '0o1777', '0x1FF', '7', '1800', '493']) expect(decimalModeWarning(written)).toBeUndefined();
  });

  it('writes a mode back as Compose writes a FileMode: "0440"', () => {
    expect(formatFileMode(0o440)).toBe('0440');
  });
});

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('tmpfs mode in a stack file', () => {
  async function load(mode: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-mode-'));
    made.push(dir);
    fs.writeFileSync(path.join(dir, 'stack.yaml'), `services:\n  api:\n    image: host\n    volumes:\n      - type: tmpfs\n        target: /scratch\n        tmpfs:\n          mode: ${mode}\n`);
    const warnings: string[] = [];
    const stack = await loadStack({ cwd: dir, env: {}, onWarning: (w) => warnings.push(w) });
    const mount = stack.services.api!.volumes[0]!;
    return { mode: mount.type === 'tmpfs' ? mount.mode : undefined, warnings };
  }

  it('01777 and 0o1777 are octal, as go-yaml reads them; 1777 is decimal, as in Compose, with a warning', async () => {
    expect(await load('01777')).toEqual({ mode: 0o1777, warnings: [] });
    expect(await load('0o1777')).toEqual({ mode: 0o1777, warnings: [] });
    expect(await load('1777')).toEqual({
      mode: 1777,
      warnings: ['stack.yaml:8:17 services.api.volumes[0].tmpfs.mode: 1777 is the decimal number 1777 (octal 3361), as Compose reads it; for the octal mode write 0o1777 or 01777'],
    });
  });
});
