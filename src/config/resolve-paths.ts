/**
 * Makes the relative host paths of a file from another folder (`extends: {file}`, `include`)
 * absolute against that folder, as compose-go's `paths.ResolveRelativePaths` does, so that after
 * merging they do not resolve against the project folder. Only shapes that are right are touched;
 * the schema reports the others.
 */
import path from 'node:path';
import { child, stringOf, type TreeNode } from './node-tree.js';

/** Rewrites, in place, every relative path `root` holds, against `dir`. */
export function resolveRelativePaths(root: TreeNode, dir: string): void {
  const abs = (node: TreeNode | undefined, isPath: (text: string) => boolean = isRelative): void => {
    const text = stringOf(node);
    if (node?.kind === 'scalar' && text !== undefined && isPath(text)) node.value = path.resolve(dir, text);
  };
  const each = (node: TreeNode | undefined, fn: (item: TreeNode) => void): void => {
    if (node?.kind === 'seq') node.items.forEach(fn);
    else if (node?.kind === 'map') for (const e of node.entries.values()) fn(e.node);
    else if (node) fn(node);
  };

  each(child(root, 'services'), (service) => {
    const build = child(service, 'build');
    if (build?.kind === 'scalar') abs(build, isLocalContext);
    abs(child(build, 'context'), isLocalContext);
    each(child(build, 'additional_contexts'), (c) => abs(c, isLocalContext));
    each(child(service, 'env_file'), (f) => (f.kind === 'map' ? abs(child(f, 'path')) : abs(f)));
    each(child(service, 'label_file'), (f) => abs(f));
    abs(child(child(service, 'extends'), 'file'));
    const image = child(service, 'image');
    const archive = /^(docker-archive|oci):(.*)$/.exec(stringOf(image) ?? '');
    if (image?.kind === 'scalar' && archive && isRelative(archive[2]!)) image.value = `${archive[1]}:${path.resolve(dir, archive[2]!)}`;
    each(child(service, 'volumes'), (v) => {
      if (v.kind === 'map' && stringOf(child(v, 'type')) === 'bind') abs(child(v, 'source'));
      const short = stringOf(v);
      if (v.kind === 'scalar' && short !== undefined) {
        const [source, ...rest] = short.split(':');
        if (source!.startsWith('.') && rest.length > 0) v.value = [path.resolve(dir, source!), ...rest].join(':');
      }
    });
  });
  for (const kind of ['secrets', 'configs']) each(child(root, kind), (r) => abs(child(r, 'file')));
  each(child(root, 'ships'), (ship) => {
    const tls = child(ship, 'tls');
    for (const key of ['ca', 'cert', 'key']) abs(child(tls, key));
  });
  each(child(root, 'include'), (inc) => {
    if (inc.kind === 'scalar') return abs(inc);
    each(child(inc, 'path'), (p) => abs(p));
    abs(child(inc, 'project_directory'));
    each(child(inc, 'env_file'), (p) => abs(p));
  });
}

function isRelative(text: string): boolean {
  return text !== '' && !path.isAbsolute(text) && !text.startsWith('~') && !/^[A-Za-z]:[\\/]/.test(text);
}

/** A build context on disk, not a git URL or another kind of context. */
function isLocalContext(text: string): boolean {
  return isRelative(text) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !text.startsWith('git@') && !text.startsWith('github.com/') && !/^(service|target):/.test(text);
}
