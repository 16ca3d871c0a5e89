/**
 * What COPY/ADD can see of a source root (the build context, or a stage's filesystem): the
 * entries under each source's fixed prefix, as expandCopySources wants them. Only the subtrees
 * the sources name are walked. In the build context, .dockerignore'd paths are left out (an
 * ignored directory is entered only when an exception may re-include something below it), and
 * a symlink in a source's path that leads out of the context is refused.
 */
import type fs from 'node:fs';
import type { IgnoreMatcher, SourceEntry } from '../build/index.js';
import type { LayeredView } from './layered-view.js';

/** A root COPY reads from. */
export interface SourceRoot {
  view: LayeredView;
  /** For messages: `the build context`, `stage build`, `image busybox`. */
  name: string;
  /** The .dockerignore matcher (build context only). */
  ignore?: IgnoreMatcher;
}

/** The listing for one COPY/ADD. */
export interface SourceListing {
  entries: SourceEntry[];
  /** The real root-relative path of a listed path (symlinks in a source's fixed prefix resolved). */
  realPath(path: string): string;
}

const WILDCARD = /[*?[\\]/;

/** Kind of a listed entry; other kinds (fifos, sockets, devices) are not copied. */
export function entryType(st: fs.Stats): SourceEntry['type'] | undefined {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return undefined;
}

/** Whether the root's ignore rules leave `rel` out (never the root itself). */
export function isIgnored(root: SourceRoot, rel: string, isDir: boolean): boolean {
  return rel !== '' && root.ignore !== undefined && root.ignore(rel, isDir);
}

/**
 * Calls `visit` for every entry below the real directory `realDir` (not included), parents first,
 * with its path under `shownDir`. Symlinks are listed, not followed. An ignored directory is
 * listed only when an exception re-includes something below it.
 */
export function walkTree(root: SourceRoot, realDir: string, shownDir: string, visit: (shown: string, real: string, type: SourceEntry['type']) => void): void {
  for (const name of root.view.readdir(realDir)) {
    const real = realDir === '' ? name : `${realDir}/${name}`;
    const shown = shownDir === '' ? name : `${shownDir}/${name}`;
    const entry = root.view.lstat(real);
    const type = entry && entryType(entry.stats);
    if (!type) continue;
    if (!isIgnored(root, real, type === 'dir')) {
      visit(shown, real, type);
      if (type === 'dir') walkTree(root, real, shown, visit);
    } else if (type === 'dir' && root.ignore?.mayReinclude(real)) {
      const found: [string, string, SourceEntry['type']][] = [];
      walkTree(root, real, shown, (s, r, t) => found.push([s, r, t]));
      if (found.length > 0) {
        visit(shown, real, 'dir');
        for (const [s, r, t] of found) visit(s, r, t);
      }
    }
  }
}

/** Lists what the sources of one COPY/ADD can match. */
export function listSources(root: SourceRoot, sources: readonly string[]): SourceListing {
  const entries = new Map<string, SourceEntry>();
  const prefixes = new Map<string, string>(); // shown prefix -> real prefix
  const add = (path: string, _real: string, type: SourceEntry['type']): void => void entries.set(path, { path, type });

  for (const src of sources) {
    const comps = src.split('/').filter((c) => c !== '' && c !== '.');
    if (comps.includes('..')) continue; // expandCopySources refuses it with the right message
    const wild = comps.findIndex((c) => WILDCARD.test(c));
    if (wild < 0) {
      if (comps.length === 0) {
        prefixes.set('', '');
        walkTree(root, '', '', add);
        continue;
      }
      const shown = comps.join('/');
      const parent = root.view.resolve(comps.slice(0, -1).join('/'));
      const real = parent === '' ? comps.at(-1)! : `${parent}/${comps.at(-1)!}`;
      const entry = root.view.lstat(real);
      const type = entry && entryType(entry.stats);
      if (!type || isIgnored(root, real, type === 'dir')) {
        // An ignored directory may still hold re-included files.
        if (type === 'dir' && root.ignore?.mayReinclude(real)) {
          const found: SourceEntry[] = [];
          walkTree(root, real, shown, (p, _r, t) => found.push({ path: p, type: t }));
          if (found.length > 0) {
            prefixes.set(shown, real);
            add(shown, real, 'dir');
            for (const f of found) add(f.path, '', f.type);
          }
        }
        continue;
      }
      prefixes.set(shown, real);
      add(shown, real, type);
      if (type === 'dir') walkTree(root, real, shown, add);
    } else {
      const shown = comps.slice(0, wild).join('/');
      const real = root.view.resolve(shown);
      if (!root.view.lstat(real)?.stats.isDirectory()) continue;
      if (isIgnored(root, real, true) && !root.ignore?.mayReinclude(real)) continue;
      prefixes.set(shown, real); // walkTree lists only what the ignore rules let through
      walkTree(root, real, shown, add);
    }
  }

  const ordered = [...prefixes].sort((a, b) => b[0].length - a[0].length);
  return {
    entries: [...entries.values()],
    realPath(path: string): string {
      const p = path === '.' ? '' : path;
      for (const [shown, real] of ordered) {
        if (shown === '') return real === '' ? p : p === '' ? real : `${real}/${p}`;
        if (p === shown) return real;
        if (p.startsWith(`${shown}/`)) return `${real}${p.slice(shown.length)}`;
      }
      return p;
    },
  };
}
