/**
 * Reads the files of a project into one merged, positioned tree, file by file as compose-go does:
 * each file's `include:` first, then its `extends:`, then the file is merged over the ones before.
 * A file of several YAML documents is read as that many files, in order (compose-go does the same).
 */
import type { Lookup } from './interpolate.js';
import { applyExtends } from './extends.js';
import { applyIncludes } from './include.js';
import { mergeNodes } from './merge.js';
import type { TreeNode } from './node-tree.js';
import { readFileDocuments, type SourceFile, type TreeLoader } from './read-tree.js';

/**
 * The merged tree of `files` (undefined when all are empty). `dir` is the project folder, `env`
 * the variables for interpolation, `chain` the files that include this project (for cycles).
 * Problems are added to `loader.issues`; unreadable files and YAML syntax errors throw.
 */
export async function loadProjectTree(files: SourceFile[], dir: string, env: Lookup, loader: TreeLoader, chain: string[] = []): Promise<TreeNode | undefined> {
  let merged: TreeNode | undefined;
  for (const file of files) {
    for (const node of await readFileDocuments(file, env, loader)) {
      if (node.kind === 'map') {
        const loadIncluded = (inc: SourceFile[], incDir: string, incEnv: Lookup, incChain: string[]) => loadProjectTree(inc, incDir, incEnv, loader, incChain);
        await applyIncludes(node, { dir, env, chain: [...chain, file.abs] }, loader, loadIncluded);
        await applyExtends(node, file, dir, env, loader);
      }
      merged = mergeNodes(merged, node, loader.issues);
    }
  }
  return merged;
}
