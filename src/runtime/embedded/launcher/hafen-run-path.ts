/**
 * Where the launcher binary is: prebuilds/<platform>-<arch>/hafen-run of the package (a static
 * binary built by scripts/build-native.mjs), else a local node-gyp build (native-files.ts).
 */
import { RuntimeError } from '../../../errors.js';
import { embeddedUnavailable, nativeFile } from '../native-files.js';

/** The absolute path of hafen-run; throws a RuntimeError saying why it is missing and how to build it. */
export function hafenRunPath(): string {
  const file = nativeFile('hafen-run');
  if (file) return file;
  throw new RuntimeError('hafen-run', embeddedUnavailable() ?? 'the launcher is missing from this installation; `npm run build:native` builds it');
}
