/**
 * Files of the hafen package found from wherever this code runs: its sources (tests), tsc's
 * dist/src/, the bundle's dist/ or dist/chunks/, or an installed copy (node_modules/hafen, a global
 * install, a linked clone). The package root is the nearest folder above holding hafen's package.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** hafen's package root, or undefined when this code runs outside its package. */
export function packageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'hafen') return dir;
      } catch {
        // not a package.json we can read: look further up
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** A file of the bundle (scripts/bundle.mjs writes dist/cli.js, dist/supervisor.js, …): none or one path. */
export function bundledFile(name: string): string[] {
  const root = packageRoot();
  return root ? [path.join(root, 'dist', name)] : [];
}
