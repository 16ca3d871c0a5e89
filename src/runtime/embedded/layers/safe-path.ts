/** Turning names from a layer tar into paths relative to the layer's root, refusing any that escape it. */
import { LayerError } from './layer-error.js';

/**
 * Cleans a tar entry name (or hardlink target) into a root-relative path with no `.`, `..`, empty
 * or leading `/` components: `/a` and `./a` become `a`, `a/../b` becomes `b`, and the root is `''`.
 * A `..` that would climb above the root is refused, as is a NUL byte.
 */
export function cleanName(name: string, entry: string = name): string {
  if (name.includes('\0')) throw new LayerError('name contains a NUL byte', entry);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new LayerError(`${JSON.stringify(name)} points outside the layer root`, entry);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** The parent of a cleaned path (`''` for top-level names and for the root). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** The last component of a cleaned path. */
export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

/** Whether `rel` is `dir` itself or lies below it (both cleaned). */
export function isWithin(rel: string, dir: string): boolean {
  return dir === '' || rel === dir || rel.startsWith(dir + '/');
}
