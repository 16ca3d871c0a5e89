/** hafen's own version, read once from its package.json (found upward from this module, built or not). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(): { version: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hafen' && pkg.version) return { version: pkg.version };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { version: '0.0.0-unknown' };
    dir = parent;
  }
}

export const version: string = findPackageJson().version;
