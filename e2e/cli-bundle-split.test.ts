/**
 * The CLI's two bundles (scripts/bundle.mjs splitCli, src/cli/split-bundle.ts; issue 16), seen from
 * outside: a short command never reads the cold bundle, a command that needs it loads it and its
 * code cache, and the two share their modules (each module in one file only, so an error class
 * thrown by cold code is the one the hot code checks). The cold bundle ships no code cache: the
 * user's is written by the first run that loads it, which is how a run shows it read that file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, stack } from './cli.js';

let home: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bundle-split-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

/** `stack ...args` with the code caches under `home` and the state in a folder of its own. */
function run(args: string[]) {
  return stack(args, { cwd: home, env: { XDG_CACHE_HOME: path.join(home, 'cache'), HAFEN_ROOT: path.join(home, 'state') } });
}

/** The user's code cache files (name → inode). */
function cacheFiles(): Map<string, number> {
  const dir = path.join(home, 'cache', 'hafen', 'code-cache');
  if (!fs.existsSync(dir)) return new Map();
  return new Map(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).ino]));
}

/** The keys of the modules a bundle defines (esbuild's `__esm({"KEY"` and `__commonJS({"KEY"`). */
function moduleKeys(file: string): Set<string> {
  const text = fs.readFileSync(path.join(repoRoot, 'dist', file), 'utf8');
  return new Set([...text.matchAll(/__(?:esm|commonJS)\(\{"([^"]+)"/g)].map((m) => m[1]!));
}

describe('the CLI in a hot and a cold bundle', () => {
  it('`config -q` and `--help` never read the cold bundle; `ls` does, once, and then takes its cache', () => {
    expect(run(['-f', path.join(repoRoot, 'stack.example.yaml'), 'config', '-q']).code).toBe(0);
    expect(cacheFiles().size).toBe(0); // the hot bundle's shipped cache fits
    expect(run(['--help']).code).toBe(0);
    // The help's own cache of the hot bundle (src/cli/cache-slot.ts); nothing cold was compiled.
    const hotOnly = cacheFiles();
    expect([...hotOnly.keys()]).toEqual([expect.stringMatching(/^cli-bundle-[0-9a-f]{16}-.*\.help\.cache$/)]);
    const ls = run(['ls']);
    expect(ls.stderr).toBe('');
    expect(ls.code).toBe(0);
    const written = cacheFiles();
    expect([...written.keys()].filter((f) => !hotOnly.has(f))).toEqual([expect.stringMatching(new RegExp(`^cli-cold-[0-9a-f]{16}-${process.version}-${process.arch}\\.cache$`))]);
    expect(run(['ls']).code).toBe(0);
    expect(cacheFiles()).toEqual(written); // taken as it was, not written again
  });

  it('an error thrown by a cold module is one plain line and its exit code, as from a hot one', () => {
    // cp's argument check (src/cli/container-ops/copy-args.ts) is in the cold bundle; UsageError in the hot one.
    const r = run(['-p', 'splitnone', 'cp', 'a', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cp: one side must be SERVICE:PATH/);
    expect(r.stderr).not.toContain('unexpected error');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('holds each module in one bundle only, the cold one with most of the code', () => {
    const hot = moduleKeys('cli-bundle.cjs');
    const cold = moduleKeys('cli-cold.cjs');
    expect(hot.has('src/cli/load.ts')).toBe(true);
    expect(cold.has('src/orchestrator/up.ts')).toBe(true);
    // Except the getters of a lazily loaded Node module (scripts/bundle.mjs lazyBuiltins): no state of their own.
    expect([...hot].filter((key) => cold.has(key) && !key.startsWith('lazy-builtin:'))).toEqual([]);
    expect(fs.statSync(path.join(repoRoot, 'dist/cli-bundle.cjs')).size).toBeLessThan(fs.statSync(path.join(repoRoot, 'dist/cli-cold.cjs')).size);
  });
});
