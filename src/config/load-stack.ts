/** The config pipeline: read → parse → interpolate → validate → normalize → check references. */
import path from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { readEnvFile, type EnvFile } from './env-file.js';
import { findStackFile } from './find-file.js';
import { interpolationHook, type Lookup } from './interpolate.js';
import { Issues } from './issues.js';
import type { PortMapping, Stack } from './model.js';
import { normalizeStack } from './normalize.js';
import { parseYaml } from './parse-yaml.js';
import { PROJECT_NAME_RULE, isValidProjectName, projectNameFromFolder } from './project-name.js';
import type { RawStack } from './raw.js';
import { readTextFile } from './read-file.js';
import { checkReferences } from './references.js';
import { envFileRefs, type NormalizeContext } from './service.js';
import { sortIssues } from './source-map.js';
import { validateTree } from './validate.js';
import { toTree } from './yaml-tree.js';
import { onceEach, unsetVariableWarning, type OnWarning } from './warnings.js';

/** Where to find the stack file and what surrounds it. */
export interface LoadOptions {
  /** `-f`: the stack file, relative to `cwd`; default: the first of STACK_FILE_NAMES in `cwd`. */
  file?: string;
  /** Folder `file` is relative to; default: the process's working directory. */
  cwd?: string;
  /** `-p`: project name, overriding `name:` and the folder's name. */
  project?: string;
  /** Environment for interpolation; wins over `.env`. Default: process.env. */
  env?: Record<string, string | undefined>;
  /**
   * Enabled profiles (`--profile`). The model keeps every service (selecting them is the
   * planner's job); profiles only decide which services' host ports can clash.
   */
  profiles?: string[];
  /** Told each warning once (an unset variable, …); the CLI prints them on stderr. Default: none. */
  onWarning?: OnWarning;
}

/** Loads, validates and normalizes a stack file. Throws ConfigError (every problem, first by position first) or ConfigNotFoundError. */
export async function loadStack(opts: LoadOptions = {}): Promise<Stack> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const file = opts.file ? path.resolve(cwd, opts.file) : await findStackFile(cwd);
  const shown = opts.file ?? path.basename(file); // as the user named it
  const dir = path.dirname(file);
  const shownDir = path.dirname(shown);

  const text = await readTextFile(file, shown);
  const processEnv: Lookup = (name) => env[name];
  const dotenv = await readEnvFile(path.join(dir, '.env'), path.join(shownDir, '.env'), processEnv);
  if (dotenv?.issues.length) throw new ConfigError(sortIssues(dotenv.issues));
  const projectEnv: Lookup = (name) => env[name] ?? (dotenv && Object.hasOwn(dotenv.vars, name) ? dotenv.vars[name] : undefined);

  const warn = onceEach(opts.onWarning);
  const tree = toTree(parseYaml(text, shown), interpolationHook(projectEnv, (name) => warn(unsetVariableWarning(name))));
  for (const warning of tree.warnings) warn(warning);
  if (tree.value === undefined) {
    throw new ConfigError([{ location: { file: shown, line: 1, col: 1, path: '' }, message: 'the file is empty; a stack file needs at least a services: mapping' }]);
  }
  const problems = [...tree.issues, ...validateTree(tree.value, tree.source)];
  if (problems.length > 0) throw new ConfigError(sortIssues(problems));
  const raw = tree.value as RawStack;

  const issues = new Issues(tree.source);
  const ctx: NormalizeContext = {
    dir,
    env: projectEnv,
    envFiles: await readEnvFiles(raw, dir, shownDir, projectEnv),
    issues,
    portOrigins: new Map<PortMapping, string>(),
  };
  if (env.HOME) ctx.home = env.HOME;
  const name = projectName(opts.project, raw.name, dir, shown);
  const stack = normalizeStack(raw, { name, file, dir, source: tree.source }, ctx);
  issues.throwIfAny();
  checkReferences(stack, issues, { profiles: opts.profiles ?? [], portOrigins: ctx.portOrigins });
  issues.throwIfAny();
  return stack;
}

/** `-p`, else `name:` (the schema has checked it), else the folder's name made valid. */
function projectName(explicit: string | undefined, fromFile: string | undefined, dir: string, shown: string): string {
  if (explicit !== undefined) {
    if (!isValidProjectName(explicit)) throw new UsageError(`-p ${JSON.stringify(explicit)}: not a valid project name; ${PROJECT_NAME_RULE}`);
    return explicit;
  }
  if (fromFile !== undefined) return fromFile;
  const folder = path.basename(dir);
  const name = projectNameFromFolder(folder);
  if (name === '') {
    throw new ConfigError([{ location: { file: shown, line: 1, col: 1, path: '' }, message: `cannot make a project name from the folder name ${JSON.stringify(folder)}; set name: in the file or use -p NAME` }]);
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
