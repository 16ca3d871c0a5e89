/**
 * Where the launcher binary is: build/Release/hafen-run of the package, built by node-gyp from
 * native/hafen-run*.c at `npm install`. Found from src/ (tests) or dist/src/ (the built package).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../../../errors.js';

const BINARY = path.join('build', 'Release', 'hafen-run');
let found: string | undefined;

/** The absolute path of hafen-run; throws a RuntimeError saying how to build it when it is missing. */
export function hafenRunPath(): string {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, BINARY);
    if (fs.existsSync(candidate)) return (found = candidate);
    const up = path.dirname(dir);
    if (fs.existsSync(path.join(dir, 'package.json')) || up === dir) break;
    dir = up;
  }
  throw new RuntimeError(
    'hafen-run',
    `${BINARY} was not built; the embedded runtime needs it to start containers. Run \`npm install\` ` +
      '(or `npm rebuild`) in the hafen package with python3, make and a C compiler present',
  );
}
