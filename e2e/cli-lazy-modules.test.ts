/**
 * Which of hafen's modules a command loads before its work (issue 16), seen in the compiled modules
 * (dist/src) through a module hook that records every file Node loads: building the program for
 * `stack ps` or `stack port` loads that command's module and no other command's (command-table.ts),
 * help loads them all; `down`'s orchestrator loads no embedded runtime before its plan runs (the
 * ledger cleanup after it imports the runtime when it gets there).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './cli.js';

let dir: string;
let hooks: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-lazy-modules-'));
  hooks = path.join(dir, 'record.mjs');
  // The hook thread appends each file module it is asked to load to the file the run names.
  fs.writeFileSync(
    hooks,
    [
      "import fs from 'node:fs';",
      'export async function load(url, context, next) {',
      "  if (url.startsWith('file:')) fs.appendFileSync(process.env.HAFEN_TEST_LOADED, url + '\\n');",
      '  return next(url, context);',
      '}',
    ].join('\n'),
  );
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `code` (an ES module body) in a Node with the hook; the repository-relative paths of dist/src it loaded. */
function loadedBy(name: string, code: string): string[] {
  const out = path.join(dir, `${name}.txt`);
  const register = `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', code], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', HAFEN_TEST_LOADED: out },
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const dist = `${pathToFileURL(path.join(repoRoot, 'dist/src')).href}/`;
  return fs.readFileSync(out, 'utf8').split('\n').filter((u) => u.startsWith(dist)).map((u) => u.slice(dist.length));
}

/** An ES module body that builds the program for `argv` and prints its commands' names. */
function building(argv: string[] | undefined): string {
  return [
    "import { Chalk } from 'chalk';",
    "const { buildProgram } = await import('./dist/src/cli/program.js');",
    `const program = await buildProgram({ out: () => {}, err: () => {}, color: new Chalk({ level: 0 }) }${argv ? `, ${JSON.stringify(argv)}` : ''});`,
    "if (program.commands.length === 0) throw new Error('no command built');",
  ].join('\n');
}

const commandModules = (loaded: string[]): string[] => loaded.filter((m) => m.startsWith('cli/commands/')).sort();

describe('command modules are loaded when their command is built', () => {
  it.each([
    [['ps'], ['cli/commands/ps.js']],
    [['-f', 'stack.yaml', 'port', 'web', '80'], ['cli/commands/port.js']],
    [['--project-directory', 'down', 'config', '-q'], ['cli/commands/config.js']],
    [['stop', 'web'], ['cli/commands/lifecycle.js']],
  ])('%j loads %j of src/cli/commands', (argv, expected) => {
    expect(commandModules(loadedBy(`build-${argv.join('_').replace(/\W/g, '')}`, building(argv)))).toEqual(expected);
  });

  it('the whole program (help, completion) loads every command module', () => {
    const all = fs.readdirSync(path.join(repoRoot, 'src/cli/commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(commandModules(loadedBy('build-all', building(undefined)))).toEqual(all.map((f) => `cli/commands/${f.replace(/\.ts$/, '.js')}`).sort());
  });
});

describe("down's orchestrator", () => {
  it('loads no embedded runtime (cgroups, seccomp, snapshots) until its cleanup', () => {
    const loaded = loadedBy('down', "const { downStack } = await import('./dist/src/orchestrator/down.js'); if (typeof downStack !== 'function') throw new Error('no downStack');");
    expect(loaded).toContain('orchestrator/down.js');
    expect(loaded).toContain('executor/execute.js');
    expect(loaded.filter((m) => m === 'runtime/embedded/embedded-runtime.js' || m.startsWith('seccomp/') || m.startsWith('runtime/embedded/cgroups/') || m.startsWith('runtime/embedded/snapshots/'))).toEqual([]);
  });
});
