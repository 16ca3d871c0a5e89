/**
 * `extends:` as Compose v2 resolves it (compose-go `loader/extends.go`): a service starts from
 * another one, of the same file (`extends: base`, `extends: {service: base}`) or of another file
 * (`extends: {file: common.yaml, service: web}`), and its own keys merge over it by the same rules
 * as a later file's. Chains resolve base first; a cycle is an error naming it. Every key is
 * inherited (Compose v2 dropped v1's exceptions for links, volumes_from and depends_on). Relative
 * paths of another file resolve against that file's folder.
 */
import path from 'node:path';
import { ConfigNotFoundError } from '../errors.js';
import type { Lookup } from './interpolate.js';
import { mergeNodes, stripResets } from './merge.js';
import { child, cloneNode, stringOf, type Loc, type MapNode, type TreeNode } from './node-tree.js';
import { readFileTree, sourceFile, type SourceFile, type TreeLoader } from './read-tree.js';
import { resolveRelativePaths } from './resolve-paths.js';

/** The services `extends` can name in one file, and the folder its `file:` paths resolve against. */
interface Scope {
  services: MapNode;
  file: SourceFile;
  dir: string;
}

interface Link {
  id: string;
  name: string;
  file: string;
}

/**
 * Replaces, in place, each service of `root` that has `extends` with its merged form (keeping the
 * `extends` key itself, for the schema to check). `dir` is where `extends.file` paths resolve.
 */
export async function applyExtends(root: MapNode, file: SourceFile, dir: string, env: Lookup, loader: TreeLoader): Promise<void> {
  const services = child(root, 'services');
  if (services?.kind !== 'map') return;
  const resolver = new ExtendsResolver(env, loader);
  const scope: Scope = { services, file, dir };
  for (const name of [...services.entries.keys()]) await resolver.resolve(scope, name, []);
}

class ExtendsResolver {
  /** Services already resolved, by file and name. */
  private readonly done = new Map<string, TreeNode>();
  /** Other files read for `extends: {file}`, by absolute path. */
  private readonly scopes = new Map<string, Scope | undefined>();

  constructor(
    private readonly env: Lookup,
    private readonly loader: TreeLoader,
  ) {}

  async resolve(scope: Scope, name: string, chain: Link[]): Promise<TreeNode | undefined> {
    const entry = scope.services.entries.get(name);
    if (!entry) return undefined;
    const id = `${scope.file.abs}\0${name}`;
    const known = this.done.get(id);
    if (known) return known;
    const service = entry.node;
    const ext = child(service, 'extends');
    const ref = ext?.kind === 'scalar' ? stringOf(ext) : stringOf(child(ext, 'service'));
    if (service.kind !== 'map' || ext === undefined || ref === undefined) return this.finish(id, service); // no extends, or a bad one the schema reports
    const link: Link = { id, name, file: scope.file.shown };
    const seen = chain.findIndex((l) => l.id === id);
    if (seen >= 0) {
      this.issue(ext.at, `services.${name}.extends`, `extends cycle: ${[...chain.slice(seen), link].map((l) => describe(l, scope.file.shown)).join(' -> ')}`);
      return this.finish(id, service);
    }
    let base = scope;
    const fileNode = child(ext, 'file');
    if (fileNode !== undefined) {
      const target = stringOf(fileNode);
      if (target === undefined) return this.finish(id, service);
      const other = await this.scopeOf(path.resolve(scope.dir, target), fileNode.at, `services.${name}.extends.file`, target);
      if (!other) return this.finish(id, service);
      base = other;
    }
    if (!base.services.entries.has(ref)) {
      const where = fileNode === undefined ? '' : ` in ${base.file.shown}`;
      this.issue((child(ext, 'service') ?? ext).at, `services.${name}.extends`, `extends names service "${ref}", which is not defined${where}`);
      return this.finish(id, service);
    }
    const parent = await this.resolve(base, ref, [...chain, link]);
    if (parent === undefined) return this.finish(id, service);
    const copy = cloneNode(parent);
    if (copy.kind === 'map') copy.entries.delete('extends');
    const merged = { ...mergeNodes(copy, service, this.loader.issues, ['services', name]), at: service.at };
    scope.services.entries.set(name, { key: entry.key, node: merged });
    return this.finish(id, merged);
  }

  private finish(id: string, node: TreeNode): TreeNode {
    this.done.set(id, node);
    return node;
  }

  /** The services of another file, its relative paths made absolute against its own folder. */
  private async scopeOf(abs: string, at: Loc, keyPath: string, written: string): Promise<Scope | undefined> {
    if (this.scopes.has(abs)) return this.scopes.get(abs);
    const file = sourceFile(abs, this.loader.cwd);
    let scope: Scope | undefined;
    try {
      const root = await readFileTree(file, this.env, this.loader);
      const services = child(root, 'services');
      if (root && services?.kind === 'map') {
        stripResets(root);
        resolveRelativePaths(root, path.dirname(abs));
        scope = { services, file, dir: path.dirname(abs) };
      } else this.issue(at, keyPath, `extends file ${JSON.stringify(written)} has no services: mapping`);
    } catch (err) {
      if (!(err instanceof ConfigNotFoundError)) throw err;
      this.issue(at, keyPath, `extends file ${JSON.stringify(written)} does not exist (${abs})`);
    }
    this.scopes.set(abs, scope);
    return scope;
  }

  private issue(at: Loc, keyPath: string, message: string): void {
    this.loader.issues.push({ location: { ...at, path: keyPath }, message });
  }
}

/** A service in a cycle message; the file only when it is not the one the cycle is reported in. */
function describe(link: Link, file: string): string {
  return link.file === file ? link.name : `${link.name} (${link.file})`;
}
