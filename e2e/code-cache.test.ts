/**
 * The CLI's V8 code cache (src/code-cache.ts, issue 16), seen from outside: which cache file a run
 * of the built dist/cli.cjs writes or leaves alone under $XDG_CACHE_HOME. A V8 flag the shipped
 * cache was not made with (--stack-size) makes V8 reject it, which is how a user's Node differing
 * from the build's looks. A rewrite is a new file (written beside and renamed), so an unchanged
 * inode means the cache was taken as it was.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath } from './cli.js';

let home: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-code-cache-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

/** `node [flags] -- dist/cli.cjs --version` with the cache under `home`; it must print the version. */
function version(nodeFlags: string[], env: Record<string, string> = {}): void {
  const r = spawnSync(process.execPath, [...nodeFlags, '--', cliPath, '--version'], { env: { ...process.env, XDG_CACHE_HOME: home, ...env }, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
}

/** The user's cache files (name → inode). */
function cacheFiles(): Map<string, fs.Stats> {
  const dir = path.join(home, 'hafen', 'code-cache');
  if (!fs.existsSync(dir)) return new Map();
  return new Map(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f))]));
}

describe('the CLI code cache', () => {
  it('is written for the user when the shipped one does not fit, then taken as it is', () => {
    version(['--stack-size=900']);
    const first = cacheFiles();
    expect([...first.keys()]).toEqual([expect.stringMatching(new RegExp(`^cli-bundle-[0-9a-f]{16}-${process.version}-${process.arch}\\.cache$`))]);
    const [name, stat] = [...first][0]!;
    expect(stat.mode & 0o777).toBe(0o600);
    expect(stat.size).toBeGreaterThan(10_000);
    version(['--stack-size=900']);
    expect(cacheFiles().get(name)?.ino).toBe(stat.ino);
    // Other flags: V8 rejects it, and the run writes one that fits.
    version(['--stack-size=901']);
    expect(cacheFiles().get(name)?.ino).not.toBe(stat.ino);
  });

  it('replaces a damaged cache, and never takes one another user could have written', () => {
    version(['--stack-size=900']);
    const [name] = [...cacheFiles().keys()];
    const file = path.join(home, 'hafen', 'code-cache', name!);
    fs.writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
    version(['--stack-size=900']);
    expect(fs.statSync(file).size).not.toBe(4096);
    // Group-writable: ignored (and so replaced by this user's own).
    fs.chmodSync(file, 0o660);
    const before = fs.statSync(file).ino;
    version(['--stack-size=900']);
    expect(fs.statSync(file).ino).not.toBe(before);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('removes the caches of other builds and Nodes when it writes one, and keeps those of this build', () => {
    const dir = path.join(home, 'hafen', 'code-cache');
    fs.mkdirSync(dir, { recursive: true });
    const stale = ['cli-bundle-0123456789abcdef-v20.0.0-x64.cache', 'cli-bundle-0123456789abcdef-v20.0.0-x64.ps.cache', '0123456789abcdef-v20.0.0-x64.cache'];
    const others = ['cli-cold-0123456789abcdef-v20.0.0-x64.cache', 'notes.txt']; // another bundle's (its own run tidies it), not ours
    for (const f of [...stale, ...others]) fs.writeFileSync(path.join(dir, f), 'x', { mode: 0o600 });
    version(['--stack-size=900']);
    const written = [...cacheFiles().keys()].filter((f) => !others.includes(f));
    expect(written).toEqual([expect.stringMatching(/^cli-bundle-[0-9a-f]{16}-v/)]);
    expect(written[0]).not.toContain('0123456789abcdef');
    for (const f of others) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    // A slot of this build (ps keeps its own cache) stays beside the main one.
    const ps = spawnSync(process.execPath, ['--stack-size=900', '--', cliPath, '-p', 'codecachenone', 'ps', '--help'], { env: { ...process.env, XDG_CACHE_HOME: home }, encoding: 'utf8' });
    expect(ps.status).toBe(0);
    const after = [...cacheFiles().keys()].filter((f) => !others.includes(f));
    expect(after).toHaveLength(2);
    expect(after).toContain(written[0]);
    expect(after.filter((f) => /^cli-bundle-[0-9a-f]{16}-v.*\.help\.cache$/.test(f))).toHaveLength(1);
  });

  it('gives ps, port and the help a cache of their own, written by their first run only', () => {
    version([]); // the shipped cache fits this Node: nothing written
    expect(cacheFiles().size).toBe(0);
    const help = (): void => {
      const r = spawnSync(process.execPath, ['--', cliPath, '--help'], { env: { ...process.env, XDG_CACHE_HOME: home }, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Usage: stack');
    };
    help();
    const first = cacheFiles();
    expect([...first.keys()]).toEqual([expect.stringMatching(new RegExp(`^cli-bundle-[0-9a-f]{16}-${process.version}-${process.arch}\\.help\\.cache$`))]);
    help();
    const inodes = (files: Map<string, fs.Stats>): Map<string, number> => new Map([...files].map(([f, st]) => [f, st.ino]));
    expect(inodes(cacheFiles())).toEqual(inodes(first)); // taken as it was: same inode, nothing else written
  });

  it('writes nothing with NODE_DISABLE_COMPILE_CACHE=1', () => {
    version(['--stack-size=900'], { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(cacheFiles().size).toBe(0);
  });
});
