/**
 * Remote `include:` entries in a git repository, as Compose v2 reads them (its git resource loader,
 * which recognises references the way BuildKit's `ParseGitRef` does):
 *
 *   git@github.com:org/repo.git#main:deploy      (scp-like ssh; `#REF:SUBDIR`, both optional)
 *   https://example.com/org/repo.git#v1.2         (http(s) only with a path ending in `.git`)
 *   ssh://git@host/org/repo.git   git://host/org/repo.git   github.com/org/repo
 *
 * The reference is resolved to a commit with `git ls-remote`, fetched once (depth 1) into a cache
 * folder named by the commit, and its compose file is read from there. The user's own git setup
 * (credentials, ssh keys and config) is used; git never prompts.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ValueError } from './issues.js';
import { childProcess } from '../lazy-child-process.js';
import type { ExecFileOptionsWithStringEncoding } from 'node:child_process';

/** execFile as a promise; node:child_process is loaded only when a remote is fetched (issue 16: `config`'s start). */
function run(file: string, args: string[], options: ExecFileOptionsWithStringEncoding): Promise<{ stdout: string; stderr: string }> {
  return promisify(childProcess().execFile)(file, args, options);
}

/** A git reference: where the repository is, which ref (default: its HEAD), and a folder or file in it. */
export interface GitRef {
  remote: string;
  ref?: string;
  subdir?: string;
}

/** The compose files looked for in a fetched folder, in Compose's order. */
const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
const COMMIT = /^[0-9a-f]{40}$/;

/** The git reference `text` names, or undefined when it is a local path (as Compose tells them apart). */
export function parseGitRef(text: string): GitRef | undefined {
  if (text.startsWith('./') || text.startsWith('../') || text.startsWith('/')) return undefined;
  const hash = text.indexOf('#');
  let remote = hash < 0 ? text : text.slice(0, hash);
  const fragment = hash < 0 ? '' : text.slice(hash + 1);
  if (remote.startsWith('github.com/')) {
    remote = `https://${remote}`;
  } else {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(remote)?.[1]?.toLowerCase();
    if (scheme === 'http' || scheme === 'https') {
      if (!new URL(remote).pathname.endsWith('.git')) return undefined;
    } else if (scheme !== 'git' && scheme !== 'ssh') {
      // scp-like: user@host:path (no scheme); anything else is a local path.
      if (scheme !== undefined || !/^[\w.-]+@[\w.-]+:[^/]/.test(remote)) return undefined;
    }
  }
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  return { remote, ...(ref ? { ref } : {}), ...(subdir ? { subdir } : {}) };
}

/** Where fetched repositories are kept: `$XDG_CACHE_HOME/hafen/git`, else `~/.cache/hafen/git`. */
export function gitCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'hafen', 'git');
}

/** git with prompts off and ssh in batch mode (as Compose runs it), unless the user set their own. */
function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  env.GIT_TERMINAL_PROMPT ||= '0';
  if (!env.GIT_SSH && !env.GIT_SSH_COMMAND) env.GIT_SSH_COMMAND = 'ssh -o ControlMaster=no -o BatchMode=yes';
  return env;
}

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, env: gitEnv(), encoding: 'utf8', maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; code?: number | string };
    if (e.code === 'ENOENT') throw new ValueError('a git include needs git installed (it was not found on PATH)');
    const last = (e.stderr ?? '').trim().split('\n').filter(Boolean).at(-1) ?? e.message;
    throw Object.assign(new ValueError(last), { exitCode: e.code });
  }
}

/** The commit `ref` (default HEAD) names in the remote. */
async function resolveCommit(ref: GitRef): Promise<string> {
  const wanted = ref.ref ?? 'HEAD';
  if (COMMIT.test(wanted)) return wanted;
  let out: string;
  try {
    out = await git(['ls-remote', '--exit-code', ref.remote, wanted]);
  } catch (err) {
    if ((err as { exitCode?: unknown }).exitCode === 2) throw new ValueError(`${ref.remote} has no ref ${JSON.stringify(wanted)}`);
    throw new ValueError(`cannot reach the git repository ${ref.remote}: ${(err as Error).message}`);
  }
  const sha = out.slice(0, 40);
  if (!COMMIT.test(sha)) throw new ValueError(`git ls-remote ${ref.remote} ${wanted} gave no commit`);
  return sha;
}

/**
 * The local compose file a git reference names: fetched into the cache once per commit (into a
 * temporary folder first, so an interrupted fetch never leaves a half checkout behind), then the
 * subdir's file, or the first compose file of the subdir (or of the top).
 */
export async function fetchGitInclude(ref: GitRef, cacheDir: string): Promise<string> {
  const commit = await resolveCommit(ref);
  const local = path.join(cacheDir, commit);
  if (!existsSync(local)) {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = `${local}.tmp-${process.pid}-${Date.now()}`;
    try {
      await git(['init', '-q', tmp]);
      await git(['remote', 'add', 'origin', ref.remote], tmp);
      await git(['fetch', '-q', '--depth=1', 'origin', commit], tmp);
      await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', commit], tmp);
      await rename(tmp, local).catch((err: NodeJS.ErrnoException) => {
        if (!existsSync(local)) throw err; // else another run fetched it meanwhile
      });
    } catch (err) {
      throw new ValueError(`cannot fetch ${commit.slice(0, 12)} from ${ref.remote}: ${(err as Error).message}`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  let target = local;
  if (ref.subdir) {
    const inside = path.relative(local, path.resolve(local, ref.subdir));
    if (path.isAbsolute(ref.subdir) || inside === '..' || inside.startsWith(`..${path.sep}`)) {
      throw new ValueError(`the git subdirectory ${JSON.stringify(ref.subdir)} is outside the repository`);
    }
    target = path.join(local, inside);
  }
  if (!existsSync(target)) throw new ValueError(`${JSON.stringify(ref.subdir)} does not exist in ${ref.remote} at ${commit.slice(0, 12)}`);
  // A symlink in the repository must not lead the reading out of it.
  const real = path.relative(realpathSync(local), realpathSync(target));
  if (real === '..' || real.startsWith(`..${path.sep}`) || path.isAbsolute(real)) {
    throw new ValueError(`the git subdirectory ${JSON.stringify(ref.subdir)} leads outside the repository through a symlink`);
  }
  if (!statSync(target).isDirectory()) return target;
  const file = COMPOSE_FILE_NAMES.map((n) => path.join(target, n)).find((f) => existsSync(f) && statSync(f).isFile());
  if (!file) throw new ValueError(`no compose file (${COMPOSE_FILE_NAMES.join(', ')}) in ${ref.subdir ? JSON.stringify(ref.subdir) : 'the top'} of ${ref.remote}`);
  return file;
}
