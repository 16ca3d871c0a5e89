/**
 * Top-level `include:` (compose-spec `14-include.md`, compose-go `loader/include.go`): each entry
 * is loaded as a project of its own (its own folder for relative paths, its own `.env` under the
 * including project's environment), and its services, networks, volumes, secrets, configs (and
 * ships) are added. A resource the including file defines too is merged over the included one (as
 * Compose does since compose-go 2.10); two included files that define one resource differently is
 * an error. A file that includes itself, directly or not, is an error naming the chain.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigNotFoundError } from '../errors.js';
import { readEnvFile } from './env-file.js';
import { fetchGitInclude, gitCacheDir, parseGitRef } from './git-remote.js';
import { ValueError } from './issues.js';
import { fetchOci, OCI_PREFIX } from './oci-prefix.js';
import type { Lookup } from './interpolate.js';
import { mergeNodes } from './merge.js';
import { child, cloneNode, mapNode, plainOf, stringOf, type Loc, type MapNode, type TreeNode } from './node-tree.js';
import { sourceFile, type SourceFile, type TreeLoader } from './read-tree.js';
import { resolveRelativePaths } from './resolve-paths.js';

/** Loads and merges the files of one (included) project. */
/** `chain`: the including files, outermost first; each loaded file adds itself. */
export type LoadProject = (files: SourceFile[], dir: string, env: Lookup, chain: string[]) => Promise<TreeNode | undefined>;

/** Where the including file stands. */
export interface IncludeContext {
  /** Its project folder: relative include paths resolve here. */
  dir: string;
  env: Lookup;
  /** Absolute paths of the files that include this one, outermost first, and this file itself. */
  chain: string[];
}

/** The kinds of resources an included project adds. */
const RESOURCES = ['services', 'networks', 'volumes', 'secrets', 'configs', 'ships'] as const;

/** Adds, in place, what each `include:` entry of `root` defines. The `include` key stays, for the schema to check. */
export async function applyIncludes(root: MapNode, ctx: IncludeContext, loader: TreeLoader, loadProject: LoadProject): Promise<void> {
  const list = child(root, 'include');
  if (list?.kind !== 'seq') return;
  /** Which included file added each resource, by `kind.name`. */
  const origin = new Map<string, string>();
  for (const [i, item] of list.items.entries()) {
    const at = `include[${i}]`;
    const entry = includeEntry(item);
    if (!entry) continue; // the schema reports its shape
    const local = await localPaths(entry.paths, ctx.dir, loader, at);
    if (!local) continue;
    const missing = entry.paths.find((_, j) => !isFile(local[j]!));
    if (missing) {
      issue(loader, missing.at, at, `included file ${JSON.stringify(stringOf(missing))} does not exist`);
      continue;
    }
    const files = local.map((abs) => sourceFile(abs, loader.cwd));
    const first = files[0]!;
    if (ctx.chain.includes(first.abs)) {
      const names = [...ctx.chain.slice(ctx.chain.indexOf(first.abs)), first.abs].map((f) => sourceFile(f, loader.cwd).shown);
      issue(loader, entry.paths[0]!.at, at, `include cycle: ${names.join(' -> ')}`);
      continue;
    }
    const dir = entry.projectDirectory ? path.resolve(ctx.dir, stringOf(entry.projectDirectory)!) : path.dirname(first.abs);
    const env = await includedEnv(entry, ctx, dir, loader, at);
    if (!env) continue;
    let tree: TreeNode | undefined;
    try {
      tree = await loadProject(files, dir, env, ctx.chain);
    } catch (err) {
      if (!(err instanceof ConfigNotFoundError)) throw err;
      issue(loader, item.at, at, err.message);
      continue;
    }
    if (tree?.kind !== 'map') continue;
    resolveRelativePaths(tree, dir);
    importResources(root, tree, first.shown, origin, loader);
  }
}

interface IncludeEntry {
  paths: TreeNode[];
  projectDirectory?: TreeNode;
  envFiles?: TreeNode[];
}

/** `- path.yaml` or `- {path, project_directory, env_file}`; undefined for a shape the schema refuses. */
function includeEntry(item: TreeNode): IncludeEntry | undefined {
  if (stringOf(item) !== undefined) return { paths: [item] };
  const paths = strings(child(item, 'path'));
  if (item.kind !== 'map' || !paths || paths.length === 0) return undefined;
  const entry: IncludeEntry = { paths };
  const dir = child(item, 'project_directory');
  if (stringOf(dir) !== undefined) entry.projectDirectory = dir!;
  const envFiles = strings(child(item, 'env_file'));
  if (envFiles) entry.envFiles = envFiles;
  return entry;
}

/** A string or a list of strings, as nodes. */
function strings(node: TreeNode | undefined): TreeNode[] | undefined {
  if (stringOf(node) !== undefined) return [node!];
  if (node?.kind === 'seq' && node.items.every((i) => stringOf(i) !== undefined)) return node.items;
  return undefined;
}

/** The included project's environment: the including one's first, then its env files (default: its folder's `.env`). */
async function includedEnv(entry: IncludeEntry, ctx: IncludeContext, dir: string, loader: TreeLoader, at: string): Promise<Lookup | undefined> {
  const vars: Record<string, string> = {};
  const files = entry.envFiles
    ? entry.envFiles.map((n) => ({ node: n as TreeNode | undefined, abs: path.resolve(ctx.dir, stringOf(n)!) }))
    : [{ node: undefined, abs: path.join(dir, '.env') }];
  for (const { node, abs } of files) {
    if (abs === '/dev/null') continue;
    const env = await readEnvFile(abs, sourceFile(abs, loader.cwd).shown, (name) => ctx.env(name) ?? vars[name]);
    if (env === undefined) {
      if (node) {
        issue(loader, node.at, at, `env file ${JSON.stringify(stringOf(node))} does not exist`);
        return undefined;
      }
      continue;
    }
    loader.issues.push(...env.issues);
    Object.assign(vars, env.vars);
  }
  return (name) => ctx.env(name) ?? (Object.hasOwn(vars, name) ? vars[name] : undefined);
}

/** Adds the included resources to `root`; the including file's own definitions merge over them. */
function importResources(root: MapNode, included: MapNode, file: string, origin: Map<string, string>, loader: TreeLoader): void {
  for (const kind of RESOURCES) {
    const from = child(included, kind);
    if (from?.kind !== 'map') continue;
    let toEntry = root.entries.get(kind);
    if (toEntry === undefined || (toEntry.node.kind === 'scalar' && toEntry.node.value === null)) {
      toEntry = { key: toEntry?.key ?? included.entries.get(kind)!.key, node: mapNode(toEntry?.node.at ?? from.at) };
      root.entries.set(kind, toEntry);
    }
    const to = toEntry.node;
    if (to.kind !== 'map') continue; // the schema reports it
    for (const [name, entry] of from.entries) {
      const id = `${kind}.${name}`;
      const mine = to.entries.get(name);
      if (mine === undefined) {
        to.entries.set(name, entry);
        origin.set(id, file);
      } else if (origin.has(id)) {
        if (JSON.stringify(plainOf(mine.node)) !== JSON.stringify(plainOf(entry.node))) {
          issue(loader, entry.key, id, `${id} is defined by both ${origin.get(id)} and ${file}, differently; define it in one of them, or in the including file`);
        }
      } else {
        to.entries.set(name, { key: mine.key, node: mergeNodes(cloneNode(entry.node), mine.node, loader.issues, [kind, name]) });
      }
    }
  }
}

/**
 * Each path as a local file: relative to the including project's folder, or, for a git reference
 * (`git@host:org/repo.git#ref:dir`) or an OCI artifact (`oci://registry/repo:tag`), its copy in the cache. Undefined when a
 * reference cannot be fetched (reported at its entry).
 */
async function localPaths(paths: TreeNode[], dir: string, loader: TreeLoader, at: string): Promise<string[] | undefined> {
  const out: string[] = [];
  for (const node of paths) {
    const text = stringOf(node)!;
    const ref = parseGitRef(text);
    const oci = text.startsWith(OCI_PREFIX);
    if (!ref && !oci) {
      out.push(path.resolve(dir, text));
      continue;
    }
    const cache = loader.gitCache ?? gitCacheDir();
    try {
      out.push(oci ? await fetchOci(text, cache) : await fetchGitInclude(ref!, cache));
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      issue(loader, node.at, at, `include ${JSON.stringify(text)}: ${err.message}`);
      return undefined;
    }
  }
  return out;
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

function issue(loader: TreeLoader, at: Loc, keyPath: string, message: string): void {
  loader.issues.push({ location: { ...at, path: keyPath }, message });
}
