/**
 * Files of the hafen package found from wherever this code runs: its sources (tests), tsc's
 * dist/src/, the bundle's dist/ or dist/chunks/, or an installed copy (node_modules/hafen, a global
 * install, a linked clone). The package root is the nearest folder above holding hafen's package.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** hafen's package root and the version its package.json gives. */
export interface HafenPackage {
  root: string;
  version: string;
}

/** The package hafen's code at `from` belongs to, or undefined outside it. */
export function findPackage(from: string): HafenPackage | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'hafen') return { root: dir, version: pkg.version ?? '0.0.0-unknown' };
      } catch {
        // not a package.json we can read: look further up
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

let own: HafenPackage | null | undefined;

/** This code's own package, looked up once per process. */
export function ownPackage(): HafenPackage | undefined {
  if (own === undefined) own = findPackage(path.dirname(fileURLToPath(import.meta.url))) ?? null;
  return own ?? undefined;
}

/** hafen's package root, or undefined when this code runs outside its package. */
export function packageRoot(): string | undefined {
  return ownPackage()?.root;
}

/** A file of the bundle (scripts/bundle.mjs writes dist/cli.js, dist/supervisor.js, …): none or one path. */
export function bundledFile(name: string): string[] {
  const root = packageRoot();
  return root ? [path.join(root, 'dist', name)] : [];
}
