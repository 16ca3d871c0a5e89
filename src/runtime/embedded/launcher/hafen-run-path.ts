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

/**
 * Tests only: the launcher of another architecture run through an emulator, from
 * HAFEN_RUN_WRAPPER (e.g. qemu-aarch64-static) and HAFEN_RUN_BINARY (e.g.
 * prebuilds/linux-arm64/hafen-run). Read only inside vitest (VITEST is set in its workers), so a
 * user's environment can never put another program in front of the launcher.
 */
export function launcherWrapper(): { wrapper: string; binary: string } | undefined {
  const { VITEST, HAFEN_RUN_WRAPPER, HAFEN_RUN_BINARY } = process.env;
  if (!VITEST || !HAFEN_RUN_WRAPPER || !HAFEN_RUN_BINARY) return undefined;
  return { wrapper: HAFEN_RUN_WRAPPER, binary: HAFEN_RUN_BINARY };
}

/** The program and arguments that run hafen-run with `argv`: the launcher itself, or (tests) its emulator. */
export function hafenRunCommand(argv: readonly string[]): [string, string[]] {
  const w = launcherWrapper();
  return w ? [w.wrapper, [w.binary, ...argv]] : [hafenRunPath(), [...argv]];
}
