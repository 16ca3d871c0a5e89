/** Reads one stack file (or standard input) into a positioned, interpolated tree. */
import path from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { interpolationHook, type Lookup } from './interpolate.js';
import { mergeNodes } from './merge.js';
import type { TreeNode } from './node-tree.js';
import { parseYamlDocuments } from './parse-yaml.js';
import { readTextFile } from './read-file.js';
import { STDIN_NAME } from './read-stdin.js';
import { unsetVariableWarning, type OnWarning } from './warnings.js';
import { toNodeTree } from './yaml-tree.js';

/** A file of the stack: its absolute path (`-` for standard input) and how messages name it. */
export interface SourceFile {
  abs: string;
  shown: string;
  /** Fetched from a git repository or a registry: `abs` is its copy in the cache. */
  remote?: true;
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

/**
 * Reads, parses and interpolates one file: a tree per YAML document (`---` between them; empty
 * ones left out). Syntax errors throw ConfigError.
 */
export async function readFileDocuments(file: SourceFile, env: Lookup, loader: TreeLoader): Promise<TreeNode[]> {
  const text = file.abs === STDIN_NAME ? await loader.stdin() : await readTextFile(file.abs, file.shown);
  const warn = loader.warn;
  const hook = interpolationHook(env, warn && ((name) => warn(unsetVariableWarning(name))));
  const nodes: TreeNode[] = [];
  for (const parsed of parseYamlDocuments(text, file.shown)) {
    const tree = toNodeTree(parsed, hook);
    loader.issues.push(...tree.issues);
    if (warn) for (const warning of tree.warnings) warn(warning);
    if (tree.node) nodes.push(tree.node);
  }
  return nodes;
}

/** One file as one tree (its documents merged in order); undefined for an empty one. */
export async function readFileTree(file: SourceFile, env: Lookup, loader: TreeLoader): Promise<TreeNode | undefined> {
  let merged: TreeNode | undefined;
  for (const node of await readFileDocuments(file, env, loader)) merged = mergeNodes(merged, node, loader.issues);
  return merged;
}

/** A file found by hafen (an `extends` or `include` target) as messages name it: relative to `cwd` when inside it. */
export function sourceFile(abs: string, cwd: string): SourceFile {
  const rel = path.relative(cwd, abs);
  return { abs, shown: rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs };
}
