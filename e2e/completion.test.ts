/**
 * `stack completion bash|zsh|fish` loaded into the real shells: bash's completion function called as
 * bash calls it (COMP_WORDS, COMP_CWORD), fish's `complete -C`, and zsh driven through a pseudo
 * terminal (zpty) as a person types. Commands and options come from the program; services from the
 * fixture's stack file; projects from the embedded state root and the Docker engine's labels.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { buildProgram } from '../src/cli/program.js';
import { TEST_BUSYBOX, importBusyboxImage } from '../src/runtime/docker/test-images.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { cliPath, repoRoot, stack } from './cli.js';

const fixture = path.join(repoRoot, 'fixtures/completion');
const fixtureFile = path.join(fixture, 'stack.yaml');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-completion-'));
const emptyRoot = path.join(tmp, 'root');
/** A `stack` on PATH, as an installed one is (the scripts run it for services and projects). */
const bin = path.join(tmp, 'bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, HAFEN_ROOT: emptyRoot, NO_COLOR: '1' };

function script(shell: string): string {
  const r = stack(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const file = path.join(tmp, `stack.${shell}`);
  fs.writeFileSync(file, r.stdout);
  return file;
}

const program = await buildProgram({ out: () => {}, err: () => {}, color: new Chalk({ level: 0 }) });
/** The program's own `--no-…` options of `up`: what `stack up --no-<TAB>` must offer. */
const upNegations = program.commands.find((c) => c.name() === 'up')!.options.flatMap((o) => (!o.hidden && o.long?.startsWith('--no-') ? [o.long] : [])).sort();
/** The program's commands starting with u (up, and unpause where it exists): what `stack u<TAB>` must offer. */
const uCommands = program.commands.map((c) => c.name()).filter((n) => n.startsWith('u')).sort();

beforeAll(() => {
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'stack'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} -- ${JSON.stringify(cliPath)} "$@"\n`, { mode: 0o755 });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(unmet(requireCommand('bash')))('bash', () => {
  let file = '';
  beforeAll(() => (file = script('bash')));

  /** What bash offers for the line `words` (the last one is the word at the cursor). */
  function complete(words: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { offers: string[]; stderr: string } {
    const program = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _stack; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', program, 'bash', file, ...words], { cwd: opts.cwd ?? fixture, env: opts.env ?? env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return { offers: r.stdout.split('\n').filter(Boolean).sort(), stderr: r.stderr };
  }

  it('completes commands: `stack u<TAB>`', () => {
    expect(uCommands).toContain('up');
    expect(complete(['stack', 'u']).offers).toEqual(uCommands);
    expect(complete(['stack', '']).offers).toEqual(expect.arrayContaining(['up', 'down', 'logs', 'completion', 'help']));
    expect(complete(['stack', '']).offers).not.toContain('__complete');
  });

  it("completes a command's options from the program: `stack up --no-<TAB>`", () => {
    expect(upNegations).toContain('--no-deps');
    expect(complete(['stack', 'up', '--no-']).offers).toEqual(upNegations);
  });

  it('completes the services of the stack file in effect: `stack logs <TAB>`', () => {
    expect(complete(['stack', 'logs', '']).offers).toEqual(['db', 'web', 'worker']);
    expect(complete(['stack', '-f', fixtureFile, 'logs', 'w'], { cwd: tmp }).offers).toEqual(['web', 'worker']);
    expect(complete(['stack', 'up', '--exit-code-from', '']).offers).toEqual(['db', 'web', 'worker']);
  });

  // cli-gaps: a command's own -f after its name is its flag (logs --follow, rm --force), not the common file option.
  it('completes services after `logs -f` and `rm -f`, and the new commands', () => {
    expect(complete(['stack', 'logs', '-f', '']).offers).toEqual(['db', 'web', 'worker']);
    expect(complete(['stack', '-f', fixtureFile, 'rm', '-f', 'w'], { cwd: tmp }).offers).toEqual(['web', 'worker']);
    expect(complete(['stack', 'create', '']).offers).toEqual(['db', 'web', 'worker']);
    expect(complete(['stack', 'r']).offers).toEqual(expect.arrayContaining(['rm', 'run', 'restart']));
    expect(complete(['stack', 'run', '--ser']).offers).toEqual(['--service-ports']);
    expect(complete(['stack', 'run', '--pull', '']).offers).toEqual(['always', 'missing', 'never']);
  });

  it('runs the CLI that made the script when `stack` is not a command (an alias)', () => {
    const bare = { ...env, PATH: '/usr/bin:/bin' };
    expect(complete(['stack', 'logs', 'w'], { env: bare }).offers).toEqual(['web', 'worker']);
  });

  it("offers nothing of ours in the container's command of run and exec", () => {
    expect(complete(['stack', 'exec', 'web', '']).offers).toEqual([]);
    expect(complete(['stack', 'run', 'web', 'ls', '-']).offers).toEqual([]);
    expect(complete(['stack', 'run', '--rm', 'w']).offers).toEqual(['web', 'worker']);
  });

  it('offers nothing, and says nothing, where the file does not load', () => {
    const r = complete(['stack', '-f', path.join(tmp, 'missing.yaml'), 'logs', ''], { cwd: tmp });
    expect(r).toEqual({ offers: [], stderr: '' });
  });

  it('completes option values: choices, files, subcommands', () => {
    expect(complete(['stack', '--runtime', '']).offers).toEqual(['docker', 'embedded', 'swarm']);
    expect(complete(['stack', 'completion', '']).offers).toEqual(['bash', 'fish', 'zsh']);
    expect(complete(['stack', '-f', 'sta']).offers).toEqual(['stack.yaml']);
    expect(complete(['stack', 'image', '']).offers).toEqual(expect.arrayContaining(['load', 'save']));
  });

  it('completes projects with state under the embedded root: `stack -p <TAB>`', () => {
    const root = path.join(tmp, 'projects-root');
    for (const p of ['alpha-shop', 'beta']) fs.mkdirSync(path.join(root, 'projects', p), { recursive: true });
    const offers = complete(['stack', '-p', ''], { env: { ...env, HAFEN_ROOT: root } }).offers;
    expect(offers).toEqual(expect.arrayContaining(['alpha-shop', 'beta']));
    expect(complete(['stack', '-p', 'alp'], { env: { ...env, HAFEN_ROOT: root } }).offers).toEqual(['alpha-shop']);
  });
});

describe.skipIf(unmet(requireCommand('bash'), ...runtimeNamed('docker').requirements))('projects on the Docker engine', () => {
  const project = `hafen-compl-${process.pid}`;
  beforeAll(async () => {
    await importBusyboxImage(new DockerRuntime().docker);
  });
  afterAll(() => {
    spawnSync('docker', ['rm', '-f', `${project}-web-1`]);
  });

  it('`stack __complete projects` names a project that only the engine knows, by its label', () => {
    execFileSync('docker', ['create', '--name', `${project}-web-1`, '--label', `io.hafen.project=${project}`, TEST_BUSYBOX, 'true']);
    const r = stack(['__complete', 'projects'], { env: { HAFEN_ROOT: emptyRoot } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toContain(project);
    execFileSync('docker', ['rm', '-f', `${project}-web-1`]);
    expect(stack(['__complete', 'projects'], { env: { HAFEN_ROOT: emptyRoot } }).stdout.split('\n')).not.toContain(project);
  });
});

describe.skipIf(unmet(requireCommand('fish')))('fish', () => {
  let file = '';
  beforeAll(() => (file = script('fish')));

  /** `complete -C LINE`: the words fish offers, without their descriptions. */
  function complete(line: string, cwd = fixture): string[] {
    const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], { cwd, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!).sort();
  }

  it('completes commands with their descriptions: `stack u<TAB>`', () => {
    expect(complete('stack u')).toEqual(uCommands);
    const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C "stack u"', file], { cwd: fixture, env, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^up\tcreate and start the services/m);
  });

  it('completes options: `stack up --no-<TAB>`', () => {
    expect(complete('stack up --no-')).toEqual(upNegations);
  });

  it('completes services: `stack logs <TAB>`', () => {
    expect(complete('stack logs ')).toEqual(['db', 'web', 'worker']);
    expect(complete(`stack -f ${fixtureFile} logs w`, tmp)).toEqual(['web', 'worker']);
    expect(complete('stack --runtime ')).toEqual(['docker', 'embedded', 'swarm']);
    expect(complete('stack exec web ls -')).toEqual([]);
  });
});

describe.skipIf(unmet(requireCommand('zsh')))('zsh', () => {
  let file = '';
  beforeAll(() => (file = script('zsh')));

  /** Types `keys` then TAB into an interactive zsh with the script loaded (through zpty); resolves to the line zsh made of it. */
  function typed(keys: string, cwd = fixture): string {
    const driver = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="> "; bindkey -e; unsetopt beep; autoload -U compinit; compinit -u; source ${file}; print RE""ADY'
zpty -r z out '*READY*'
zpty -w -n z "$1"$'\\t'
sleep 1.5
zpty -w -n z $'\\x01print -r -- LINE: \\r'
zpty -w z "print END''MARK"
zpty -r z out '*ENDMARK*'
print -r -- "$out"
zpty -d z`;
    const r = spawnSync('zsh', ['-f', '-c', driver, 'zsh', keys], { cwd, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    // What `print -r -- LINE: <the line>` printed (the terminal's echo of the typed command starts with `print`).
    const lines = r.stdout.split(/\r?\n|\r/).flatMap((l) => /^LINE: (.*)$/.exec(l)?.[1]?.trim() ?? []);
    return lines.at(-1) ?? r.stdout;
  }

  /** Types `keys`, then TAB twice (zsh lists the choices) and reads until `until` shows; resolves to what the terminal showed. */
  function listed(keys: string, until: string): string {
    const driver = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="> "; bindkey -e; unsetopt beep; autoload -U compinit; compinit -u; source ${file}; print RE""ADY'
zpty -r z out '*READY*'
zpty -w -n z "$1"$'\\t'
sleep 1.5
zpty -w -n z $'\\t'
zpty -r z out "*$2*"
print -r -- "$out"
zpty -d z`;
    const r = spawnSync('zsh', ['-f', '-c', driver, 'zsh', keys, until], { cwd: fixture, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  }

  it('lists commands with their descriptions on a second TAB', () => {
    const shown = listed('stack ima', "the project's containers use");
    expect(shown).toMatch(/images +-- list the images the project's containers use/);
    expect(shown).toMatch(/image +-- list images, save them to files/);
  });

  it('the script loads under compinit without a word on stderr', () => {
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit; compinit -u; source ${file}; print \${_comps[stack]}`], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('_stack');
  });

  it('completes `stack lo<TAB>` to `stack logs`, `stack up --no-d<TAB>` to --no-deps, `stack logs wo<TAB>` to worker', () => {
    expect(typed('stack lo')).toBe('stack logs');
    expect(typed('stack up --no-d')).toBe('stack up --no-deps');
    expect(typed('stack logs wo')).toBe('stack logs worker');
  });
});
