/** Reads one stack file (or standard input) into a positioned, interpolated tree. */
import path from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { interpolationHook, type Lookup } from './interpolate.js';
import type { TreeNode } from './node-tree.js';
import { parseYaml } from './parse-yaml.js';
import { readTextFile } from './read-file.js';
import { STDIN_NAME } from './read-stdin.js';
import { unsetVariableWarning, type OnWarning } from './warnings.js';
import { toNodeTree } from './yaml-tree.js';

/** A file of the stack: its absolute path (`-` for standard input) and how messages name it. */
export interface SourceFile {
  abs: string;
  shown: string;
}

/** What reading files shares across a whole load. */
export interface TreeLoader {
  /** The folder the user runs in: files are shown relative to it. */
  cwd: string;
  /** Problems found so far, thrown together at the end. */
  issues: ConfigIssue[];
  /** Standard input's text, for `-f -`; read once. */
  stdin: () => Promise<string>;
  /** Told of each warning (an unset variable, an octal-looking decimal mode); passes each on once. */
  warn?: OnWarning;
  /** Where git `include:` references are fetched to; default gitCacheDir() of the process environment. */
  gitCache?: string;
}

/** Reads, parses and interpolates one file; undefined for an empty one. Syntax errors throw ConfigError. */
export async function readFileTree(file: SourceFile, env: Lookup, loader: TreeLoader): Promise<TreeNode | undefined> {
  const text = file.abs === STDIN_NAME ? await loader.stdin() : await readTextFile(file.abs, file.shown);
  const warn = loader.warn;
  const tree = toNodeTree(parseYaml(text, file.shown), interpolationHook(env, warn && ((name) => warn(unsetVariableWarning(name)))));
  loader.issues.push(...tree.issues);
  if (warn) for (const warning of tree.warnings) warn(warning);
  return tree.node;
}

/** A file found by hafen (an `extends` or `include` target) as messages name it: relative to `cwd` when inside it. */
export function sourceFile(abs: string, cwd: string): SourceFile {
  const rel = path.relative(cwd, abs);
  return { abs, shown: rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs };
}
