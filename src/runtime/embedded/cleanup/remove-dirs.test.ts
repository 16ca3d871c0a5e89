/** removeDirs with names the kernel refuses: a ledger entry whose folder could never be made is done, not a failure forever. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeDirs } from './remove-dirs.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('removeDirs', () => {
  it('counts a folder whose name is too long for the kernel as removed, and removes the others', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remove-dirs-'));
    made.push(root);
    const long = path.join(root, 'containers', `p-${'a'.repeat(260)}-1`);
    const real = path.join(root, 'containers', 'p-web-1');
    fs.mkdirSync(real, { recursive: true });
    expect(() => fs.mkdirSync(long)).toThrow(/ENAMETOOLONG/);
    const result = removeDirs([{ kind: 'dir', path: long }, { kind: 'dir', path: real }], root, path.join(root, 'ledger.jsonl'));
    expect(result.failures).toEqual([]);
    expect(result.removed.map((d) => (d.kind === 'dir' ? d.path : '')).sort()).toEqual([long, real].sort());
    expect(fs.existsSync(real)).toBe(false);
  });
});
