/**
 * `include:` of a compose file in a git repository, through a real `git daemon` on loopback
 * serving a repository made here: fetched once per commit into the cache, read from the ref and
 * folder the reference names, errors located at the include entry.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { unmet, requireCommand } from '../testing/requirements.js';
import { parseGitRef } from './git-remote.js';
import { loadStack } from './index.js';
import { freePort } from '../testing/free-port.js';

describe('git references, told apart from local paths as Compose does', () => {
  it.each<[string, ReturnType<typeof parseGitRef>]>([
    ['git@github.com:org/repo.git', { remote: 'git@github.com:org/repo.git' }],
    ['git@github.com:org/repo.git#main:deploy/app', { remote: 'git@github.com:org/repo.git', ref: 'main', subdir: 'deploy/app' }],
    ['https://example.com/org/repo.git#v1.2', { remote: 'https://example.com/org/repo.git', ref: 'v1.2' }],
    ['https://example.com/org/repo.git#:sub', { remote: 'https://example.com/org/repo.git', subdir: 'sub' }],
    ['ssh://git@host:2222/org/repo', { remote: 'ssh://git@host:2222/org/repo' }],
    ['git://127.0.0.1:9418/repo.git#main', { remote: 'git://127.0.0.1:9418/repo.git', ref: 'main' }],
    ['github.com/org/repo#main', { remote: 'https://github.com/org/repo', ref: 'main' }],
    ['https://example.com/compose.yaml', undefined], // http(s) only for a path ending in .git
    ['compose.yaml', undefined],
    ['./git@x:y', undefined],
    ['sub/dir/compose.yaml', undefined],
    ['/abs/compose.yaml', undefined],
    ['C:\\data\\compose.yaml', undefined],
    ['file:///srv/repo.git', undefined],
  ])('%s', (text, expected) => {
    expect(parseGitRef(text)).toEqual(expected);
  });
});

describe.skipIf(unmet(requireCommand('git')))('include from a git repository', () => {
  let base: string;
  let daemon: ChildProcess | undefined;
  let url: string;
  let firstCommit: string;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-git-include-'));
    const work = path.join(base, 'work');
    fs.mkdirSync(path.join(work, 'deploy'), { recursive: true });
    git(base, 'init', '-q', '-b', 'main', work);
    fs.writeFileSync(path.join(work, 'compose.yaml'), 'services:\n  top:\n    image: example/top:1\n');
    fs.writeFileSync(path.join(work, 'deploy', 'compose.yaml'), 'services:\n  db:\n    image: example/db:${DB_TAG}\n    env_file: db.env\n');
    fs.writeFileSync(path.join(work, 'deploy', 'db.env'), 'A=1\n');
    fs.writeFileSync(path.join(work, 'deploy', '.env'), 'DB_TAG=15\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'first');
    firstCommit = git(work, 'rev-parse', 'HEAD');
    fs.writeFileSync(path.join(work, 'deploy', '.env'), 'DB_TAG=16\n');
    git(work, 'commit', '-q', '-am', 'second');
    git(work, 'tag', 'v2');
    git(base, 'clone', '-q', '--bare', work, path.join(base, 'served', 'repo.git'));
    const port = await freePort();
    daemon = spawn('git', ['daemon', '--export-all', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${path.join(base, 'served')}`, path.join(base, 'served')], { stdio: 'ignore' });
    url = `git://127.0.0.1:${port}/repo.git`;
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('git', ['ls-remote', url], { stdio: 'ignore' });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('git daemon did not start');
  }, 30_000);

  afterAll(() => {
    daemon?.kill();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  /** A project that includes `entry`, loaded with its own cache folder. */
  function project(entry: string, cache = path.join(base, 'cache')) {
    const dir = fs.mkdtempSync(path.join(base, 'project-'));
    fs.writeFileSync(path.join(dir, 'compose.yaml'), `include:\n  - ${JSON.stringify(entry)}\nservices:\n  app:\n    image: example/app\n`);
    return loadStack({ cwd: dir, env: { XDG_CACHE_HOME: cache, HOME: base, PATH: process.env.PATH } });
  }

  it('reads the compose file of the ref and folder named, with its own .env, paths in its checkout', async () => {
    const stack = await project(`${url}#v2:deploy`);
    expect(Object.keys(stack.services).sort()).toEqual(['app', 'db']);
    expect(stack.services.db!.image).toBe('example/db:16');
    const checkout = path.join(base, 'cache', 'hafen', 'git', git(path.join(base, 'served', 'repo.git'), 'rev-parse', 'v2'));
    expect(stack.services.db!.env_file).toEqual([path.join(checkout, 'deploy', 'db.env')]);
    // The default ref is the remote's HEAD; no folder means the top's compose file.
    expect(Object.keys((await project(url)).services).sort()).toEqual(['app', 'top']);
  });

  it('takes a git reference for -f too: paths of the repository, the project named after the working folder', async () => {
    const cwd = fs.mkdtempSync(path.join(base, 'cwd-'));
    const stack = await loadStack({ cwd, file: `${url}#v2:deploy`, env: { XDG_CACHE_HOME: path.join(base, 'cache'), HOME: base, PATH: process.env.PATH } });
    expect(Object.keys(stack.services)).toEqual(['db']);
    const checkout = path.join(base, 'cache', 'hafen', 'git', git(path.join(base, 'served', 'repo.git'), 'rev-parse', 'v2'));
    expect(stack.services.db!.env_file).toEqual([path.join(checkout, 'deploy', 'db.env')]);
    expect(stack.name).toBe(path.basename(cwd).toLowerCase());
    const err = await loadStack({ cwd, file: `${url}#nope`, env: { XDG_CACHE_HOME: path.join(base, 'cache'), HOME: base } }).catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe(`-f ${url}#nope: ${url} has no ref "nope"`);
  });

  it('reads a commit from the cache without asking the remote again', async () => {
    const cache = path.join(base, 'cache-offline');
    expect((await project(`${url}#${firstCommit}:deploy`, cache)).services.db!.image).toBe('example/db:15');
    const offline = `git://127.0.0.1:1/repo.git#${firstCommit}:deploy`; // nothing listens there
    fs.renameSync(path.join(cache, 'hafen', 'git', firstCommit), path.join(cache, 'hafen', 'git', 'moved'));
    await expect(project(offline, cache)).rejects.toThrow(ConfigError);
    fs.renameSync(path.join(cache, 'hafen', 'git', 'moved'), path.join(cache, 'hafen', 'git', firstCommit));
    expect((await project(offline, cache)).services.db!.image).toBe('example/db:15');
  });

  it('names the include entry when the ref, the folder or the remote is wrong, and leaves no half checkout', async () => {
    const cache = path.join(base, 'cache-errors');
    const message = async (entry: string) => ((await project(entry, cache).catch((e: unknown) => e)) as Error).message;
    expect(await message(`${url}#nope`)).toBe(`compose.yaml:2:5 include[0]: include "${url}#nope": ${url} has no ref "nope"`);
    expect(await message(`${url}#main:missing`)).toMatch(/^compose\.yaml:2:5 include\[0\]: include .*: "missing" does not exist in git:\/\/.* at [0-9a-f]{12}$/);
    expect(await message(`${url}#main:../..`)).toMatch(/the git subdirectory "\.\.\/\.\." is outside the repository$/);
    expect(await message('git://127.0.0.1:1/none.git')).toMatch(/^compose\.yaml:2:5 include\[0\]: include "git:\/\/127\.0\.0\.1:1\/none\.git": cannot reach the git repository git:\/\/127\.0\.0\.1:1\/none\.git: /);
    expect(fs.readdirSync(path.join(cache, 'hafen', 'git')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
