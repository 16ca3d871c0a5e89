/** The config pipeline: find files → read, parse, interpolate, include, extend, merge → validate → normalize → check references. */
import path from 'node:path';
import { ConfigError, ConfigNotFoundError, UsageError } from '../errors.js';
import { readEnvFile, type EnvFile } from './env-file.js';
import { findStackFiles } from './find-file.js';
import { fetchGitInclude, gitCacheDir, parseGitRef } from './git-remote.js';
import { fetchOci, OCI_PREFIX } from './oci-prefix.js';
import type { Lookup } from './interpolate.js';
import { Issues, ValueError } from './issues.js';
import { loadProjectTree } from './load-tree.js';
import type { PortMapping, Stack } from './model.js';
import { flatten } from './node-tree.js';
import { normalizeStack } from './normalize.js';
import { PROJECT_NAME_MAX, PROJECT_NAME_RULE, isValidProjectName, projectNameFromFolder } from './project-name.js';
import type { RawStack } from './raw.js';
import { ALL_INTERFACES } from './ports.js';
import { sourceFile, type SourceFile, type TreeLoader } from './read-tree.js';
import { readStdin, STDIN_NAME } from './read-stdin.js';
import { checkReferences } from './references.js';
import { checkNetworkingReferences } from './networking-references.js';
import { checkShipNetworkModes } from './ship-network-modes.js';
import { envFileRefs, type NormalizeContext } from './service.js';
import { loadSecurityOptChecks } from './security-opt.js';
import { sortIssues } from './source-map.js';
import { validateTree } from './validate.js';
import { onceEach, type OnWarning } from './warnings.js';

/** Where to find the stack files and what surrounds them. */
export interface LoadOptions {
  /**
   * `-f`: the stack file, or several merged in order, relative to `cwd`; `-` reads standard input.
   * Default: COMPOSE_FILE, else the first of STACK_FILE_NAMES in the project folder and, when present
   * beside it, its override file (OVERRIDE_FILE_NAMES).
   */
  file?: string | readonly string[];
  /** Folder `file` is relative to; default: the process's working directory. */
  cwd?: string;
  /** `--project-directory`: the project folder; default: the first file's folder (`cwd` for standard input). */
  projectDirectory?: string;
  /** `-p`: project name, overriding COMPOSE_PROJECT_NAME, `name:` and the folder's name. */
  project?: string;
  /** Where `project` came from, for messages: `-p` (default) or `HAFEN_PROJECT=`. */
  projectVia?: string;
  /** Environment for interpolation; wins over `.env`. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** `--env-file`: files read instead of the project folder's `.env`, relative to `cwd`; later ones win. */
  envFiles?: readonly string[];
  /** Standard input's text for `-f -`; default: read process.stdin. */
  stdin?: () => Promise<string>;
  /** Ports without an address listen on 0.0.0.0, as in Compose (`--publish-all-interfaces`; also HAFEN_PUBLISH_ALL=1). */
  publishAllInterfaces?: boolean;
  /**
   * Enabled profiles (`--profile`). The model keeps every service (selecting them is the
   * planner's job); profiles only decide which services' host ports can clash.
   */
  profiles?: string[];
  /** Told each warning once (an unset variable, …); the CLI prints them on stderr. Default: none. */
  onWarning?: OnWarning;
}

/** Loads, merges, validates and normalizes the stack files. Throws ConfigError (every problem, first by position first) or ConfigNotFoundError. */
export async function loadStack(opts: LoadOptions = {}): Promise<Stack> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const processEnv: Lookup = (name) => env[name];
  const given = opts.file === undefined ? [] : typeof opts.file === 'string' ? [opts.file] : [...opts.file];

  // The project's environment comes first: .env (or --env-file) can name the files (COMPOSE_FILE).
  // As compose-go: the first local file's folder, else (standard input, a git or OCI file) the working folder.
  const firstGiven = given.find((f) => f !== STDIN_NAME);
  const localFirst = firstGiven !== undefined && !isRemoteFile(firstGiven) ? firstGiven : undefined;
  const envDir = opts.projectDirectory !== undefined ? path.resolve(cwd, opts.projectDirectory) : localFirst !== undefined ? path.dirname(path.resolve(cwd, localFirst)) : cwd;
  const envShownDir = opts.projectDirectory ?? (localFirst !== undefined ? path.dirname(localFirst) : '.');
  const envFiles = projectEnvFiles(opts.envFiles, env);
  let dotenv = await readProjectEnv(envFiles, cwd, envDir, envShownDir, processEnv);
  /** The project's name once known, for `${COMPOSE_PROJECT_NAME}` (compose-go sets it before interpolating services). */
  let knownName: string | undefined = opts.project;
  let nameAsked = false;
  const projectEnv: Lookup = (name) => {
    if (name === 'COMPOSE_PROJECT_NAME' && knownName !== undefined) return knownName;
    const value = env[name] ?? (Object.hasOwn(dotenv, name) ? dotenv[name] : undefined);
    if (name === 'COMPOSE_PROJECT_NAME' && nonEmpty(value) === undefined) nameAsked = true;
    return value;
  };

  const gitCache = gitCacheDir(env);
  const files = await stackFiles(given, cwd, envDir, projectEnv, gitCache);
  const firstFile = files.find((f) => f.abs !== STDIN_NAME);
  // A fetched file's relative paths are of its repository (its folder in the cache); the project is
  // still named after the working folder, as Compose names it.
  const dir = opts.projectDirectory !== undefined ? path.resolve(cwd, opts.projectDirectory) : firstFile ? path.dirname(firstFile.abs) : cwd;
  const nameDir = opts.projectDirectory === undefined && firstFile?.remote ? cwd : dir;
  const shown = files[0]!.shown;
  const shownDir = firstFile && !firstFile.remote ? path.dirname(firstFile.shown) : firstFile ? dir : '.';
  // A default file found in a folder above: its folder's .env is the project's, as if run there.
  if (dir !== envDir && given.length === 0 && envFiles.kind === 'default' && projectEnv('COMPOSE_FILE') === undefined) {
    dotenv = await readProjectEnv(envFiles, cwd, dir, dir, processEnv);
  }

  let stdinText: Promise<string> | undefined;
  const stdin = () => (stdinText ??= (opts.stdin ?? readStdin)());
  const warn = onceEach(opts.onWarning);
  const readTree = async (loader: TreeLoader) => {
    const node = await loadProjectTree(files, dir, projectEnv, loader);
    if (node === undefined) {
      throw new ConfigError([{ location: { file: shown, line: 1, col: 1, path: '' }, message: 'the file is empty; a stack file needs at least a services: mapping' }]);
    }
    const tree = flatten(node, shown);
    const problems = [...loader.issues, ...validateTree(tree.value, tree.source)];
    if (problems.length > 0) throw new ConfigError(sortIssues(problems));
    return tree;
  };
  const fromEnv = nonEmpty(projectEnv('COMPOSE_PROJECT_NAME'));
  const explicit = opts.project !== undefined ? { name: opts.project, via: opts.projectVia ?? '-p' } : fromEnv !== undefined ? { name: fromEnv, via: 'COMPOSE_PROJECT_NAME=' } : undefined;
  nameAsked = false;
  // Warnings wait until the name is settled: a second reading, with the name known, tells its own.
  const held: string[] = [];
  let loader: TreeLoader = { cwd, issues: [], stdin, gitCache, warn: (m) => held.push(m) };
  let tree = await readTree(loader).catch((err: unknown) => {
    for (const m of held) warn(m);
    throw err;
  });
  const name = projectName(explicit, (tree.value as RawStack).name, nameDir, shown);
  if (nameAsked && explicit === undefined) {
    knownName = name;
    loader = { cwd, issues: [], stdin, gitCache, warn };
    tree = await readTree(loader);
  } else {
    for (const m of held) warn(m);
    loader.warn = warn;
  }
  const raw = tree.value as RawStack;

  const issues = new Issues(tree.source);
  const ctx: NormalizeContext = {
    dir,
    env: projectEnv,
    envFiles: await readEnvFiles(raw, dir, shownDir, projectEnv),
    issues,
    portOrigins: new Map<PortMapping, string>(),
    portsWithoutAddress: new Set<string>(),
    warn: loader.warn,
    ...(opts.publishAllInterfaces || env.HAFEN_PUBLISH_ALL === '1' ? { defaultHostIp: ALL_INTERFACES } : {}),
  };
  if (env.HOME) ctx.home = env.HOME;
  await loadSecurityOptChecks(raw);
  const stack = normalizeStack(raw, { name, file: files[0]!.abs, files: files.map((f) => f.abs), dir, source: tree.source }, ctx);
  issues.throwIfAny();
  checkReferences(stack, issues, { profiles: opts.profiles ?? [], portOrigins: ctx.portOrigins });
  checkNetworkingReferences(stack, issues);
  checkShipNetworkModes(stack, issues);
  issues.throwIfAny();
  if (ctx.portsWithoutAddress!.size > 0) stack.ports_without_address = [...ctx.portsWithoutAddress!];
  return stack;
}

/** `-f` files as given, else COMPOSE_FILE's, else the default file of the folder and its override. */
async function stackFiles(given: string[], cwd: string, dir: string, env: Lookup, gitCache: string): Promise<SourceFile[]> {
  const named = async (list: string[], via: string) => {
    const out: SourceFile[] = [];
    for (const f of list) out.push(f === STDIN_NAME ? { abs: STDIN_NAME, shown: STDIN_NAME } : isRemoteFile(f) ? await remoteFile(f, via, gitCache) : { abs: path.resolve(cwd, f), shown: f });
    return out;
  };
  if (given.length > 0) return named(given, '-f');
  const fromEnv = nonEmpty(env('COMPOSE_FILE'));
  if (fromEnv !== undefined) {
    const separator = nonEmpty(env('COMPOSE_PATH_SEPARATOR')) ?? path.delimiter;
    return named(fromEnv.split(separator).filter((f) => f !== ''), 'COMPOSE_FILE:');
  }
  return (await findStackFiles(dir)).map((abs) => sourceFile(abs, cwd));
}

/** A git reference or an `oci://` artifact, as Compose v2 takes them for -f too. */
function isRemoteFile(f: string): boolean {
  return f.startsWith(OCI_PREFIX) || parseGitRef(f) !== undefined;
}

/** A remote file, fetched into the cache; shown as the user wrote it. */
async function remoteFile(f: string, via: string, gitCache: string): Promise<SourceFile> {
  try {
    const abs = f.startsWith(OCI_PREFIX) ? await fetchOci(f, gitCache) : await fetchGitInclude(parseGitRef(f)!, gitCache);
    return { abs, shown: f, remote: true };
  } catch (err) {
    if (err instanceof ValueError) throw new ConfigNotFoundError(`${via} ${f}: ${err.message}`);
    throw err;
  }
}

/** Where the project's variables come from: files given (by a flag or a variable), or the folder's `.env`. */
type ProjectEnvFiles = { kind: 'given'; via: string; files: readonly string[] } | { kind: 'default'; disabled: boolean };

/**
 * `--env-file`, else COMPOSE_ENV_FILES (comma-separated, as Compose v2), else the folder's `.env`
 * unless COMPOSE_DISABLE_ENV_FILE is true (Go's boolean spellings: 1, t, true, TRUE, True).
 */
function projectEnvFiles(flags: readonly string[] | undefined, env: NodeJS.ProcessEnv): ProjectEnvFiles {
  if (flags && flags.length > 0) return { kind: 'given', via: '--env-file ', files: flags };
  const fromEnv = nonEmpty(env.COMPOSE_ENV_FILES);
  if (fromEnv !== undefined) return { kind: 'given', via: 'COMPOSE_ENV_FILES: ', files: fromEnv.split(',').filter((f) => f !== '') };
  return { kind: 'default', disabled: ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(env.COMPOSE_DISABLE_ENV_FILE ?? '') };
}

/**
 * The variables of the given env files (relative to `cwd`, each required, later ones winning), or
 * else of the project folder's `.env` when it exists and is not disabled.
 */
async function readProjectEnv(source: ProjectEnvFiles, cwd: string, dir: string, shownDir: string, outer: Lookup): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  const lookup: Lookup = (name) => outer(name) ?? (Object.hasOwn(vars, name) ? vars[name] : undefined);
  const list =
    source.kind === 'given'
      ? source.files.map((f) => ({ abs: path.resolve(cwd, f), shown: f, required: true }))
      : source.disabled
        ? []
        : [{ abs: path.join(dir, '.env'), shown: path.join(shownDir, '.env'), required: false }];
  for (const file of list) {
    const parsed = await readEnvFile(file.abs, file.shown, lookup);
    if (parsed === undefined) {
      if (file.required) throw new ConfigNotFoundError(`${source.kind === 'given' ? source.via : ''}${file.shown}: no such file`);
      continue;
    }
    if (parsed.issues.length) throw new ConfigError(sortIssues(parsed.issues));
    Object.assign(vars, parsed.vars);
  }
  return vars;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** `-p`, else COMPOSE_PROJECT_NAME (environment or .env, as Compose), else `name:` (the schema has checked it), else the folder's name made valid. */
function projectName(explicit: { name: string; via: string } | undefined, fromFile: string | undefined, dir: string, shown: string): string {
  if (explicit !== undefined) {
    const given = `${explicit.via}${explicit.via.endsWith('=') ? '' : ' '}${JSON.stringify(explicit.name)}`;
    if (explicit.name.length > PROJECT_NAME_MAX && isValidProjectName(explicit.name.slice(0, PROJECT_NAME_MAX))) {
      throw new UsageError(`${explicit.via}${explicit.via.endsWith('=') ? '' : ' '}${explicit.name.slice(0, 20)}…: the project name is ${explicit.name.length} characters long, more than ${PROJECT_NAME_MAX} (it begins every container, network and volume name and names the project's state folder)`);
    }
    if (!isValidProjectName(explicit.name)) throw new UsageError(`${given}: not a valid project name; ${PROJECT_NAME_RULE}`);
    return explicit.name;
  }
  if (fromFile !== undefined) return fromFile;
  const folder = path.basename(dir);
  const name = projectNameFromFolder(folder);
  if (name === '') {
    throw new ConfigError([{ location: { file: shown, line: 1, col: 1, path: '' }, message: `cannot make a project name from the folder name ${JSON.stringify(folder)}; set name: in the file or use -p NAME` }]);
  }
  if (name.length > PROJECT_NAME_MAX) {
    throw new ConfigError([{ location: { file: shown, line: 1, col: 1, path: '' }, message: `the folder name makes a project name of ${name.length} characters, more than ${PROJECT_NAME_MAX}; set name: in the file or use -p NAME` }]);
  }
  return name;
}

/** Reads every env file the services name, once each; a missing one maps to undefined. */
async function readEnvFiles(raw: RawStack, dir: string, shownDir: string, env: Lookup): Promise<Map<string, EnvFile | undefined>> {
  const files = new Map<string, EnvFile | undefined>();
  for (const [name, service] of Object.entries(raw.services)) {
    for (const ref of envFileRefs(name, service)) {
      const file = path.resolve(dir, ref.file);
      if (files.has(file)) continue;
      const shown = path.isAbsolute(ref.file) ? ref.file : path.join(shownDir, ref.file);
      files.set(file, await readEnvFile(file, shown, env));
    }
  }
  return files;
}
