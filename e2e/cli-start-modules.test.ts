/**
 * What a short command loads of Node's own modules (issue 16), seen from outside: with stdout and
 * stderr on pipes (as in a script or `| less`), `config` and `--help` load no node:net, tty,
 * streams, child_process, crypto or fs/promises, though the modules they run import some of them
 * (scripts/bundle.mjs lazyBuiltins; src/cli/std-write.ts writes without Node's stream objects),
 * and print exactly what they printed through the streams.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from './cli.js';

let dir: string;
let preload: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-start-modules-'));
  preload = path.join(dir, 'loaded.cjs');
  // Written at exit: every module Node loaded, one a line, to the file the run names.
  fs.writeFileSync(preload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.HAFEN_TEST_LOADED, process.moduleLoadList.join('\\n')));\n");
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with pipes for its output; its output and the Node modules it loaded. */
function run(args: string[]): { code: number | null; stdout: string; stderr: string; loaded: string[] } {
  const out = path.join(dir, `loaded-${args.join('_').replace(/\W/g, '')}.txt`);
  const r = spawnSync(process.execPath, ['-r', preload, '--', cliPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', HAFEN_TEST_LOADED: out, XDG_CACHE_HOME: path.join(dir, 'cache') },
    encoding: 'utf8',
  });
  const loaded = fs.readFileSync(out, 'utf8').split('\n').filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

const NOT_LOADED = ['net', 'tty', 'stream', 'child_process', 'crypto', 'fs/promises', 'timers/promises'];

describe('a short command on pipes', () => {
  it.each([
    ['config -q', ['-f', 'stack.example.yaml', 'config', '-q']],
    ['config', ['-f', 'stack.example.yaml', 'config']],
    ['--help', ['--help']],
    ['--version', ['--version']],
  ])('`stack %s` loads no node:net, tty or streams', (_name, args) => {
    const r = run(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.loaded.filter((m) => NOT_LOADED.includes(m))).toEqual([]);
    expect(r.loaded).toContain('fs'); // the list is real
  });

  it('prints what it printed through the streams', () => {
    expect(run(['--help']).stdout).toMatch(/^Usage: stack \[options\] \[command\]\n/);
    const config = run(['-f', 'stack.example.yaml', 'config']).stdout;
    expect(config).toMatch(/^name: /);
    expect(config.endsWith('\n')).toBe(true);
    // A usage error: one plain line on stderr, exit 2, still without the streams.
    const bad = run(['--no-such-option']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: unknown option '--no-such-option'\n/);
    expect(bad.loaded.filter((m) => NOT_LOADED.includes(m))).toEqual([]);
  });
});
