/**
 * Where hafen's native parts are: the launcher (`hafen-run`) and the addon (`hafen.node`). The
 * package carries them prebuilt in prebuilds/<platform>-<arch>/ (scripts/build-native.mjs; a musl
 * Node takes `hafen.musl.node`); a checkout that built them with node-gyp has build/Release/. The
 * prebuilt ones come first. Nothing here runs anything, and only Linux reads /proc (for musl): on
 * macOS or Windows the answer is simply "not here", and the Docker runtime goes on without them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../package-files.js';

export type NativePart = 'hafen-run' | 'hafen.node';

/** The platforms prebuilds exist for. */
export const PREBUILT_TARGETS = ['linux-x64', 'linux-arm64'] as const;

let musl: boolean | undefined;

/**
 * Whether this Node runs on musl (Alpine): musl's dynamic loader is mapped into the process. The
 * process report (which names glibc when there is one) is the fallback where /proc cannot be read:
 * it is slow to make (a tenth of `stack ps`'s own time, issue 16).
 */
function onMusl(): boolean {
  if (process.platform !== 'linux') return false;
  if (musl !== undefined) return musl;
  try {
    musl = /\/ld-musl-[^/\n]*\.so/.test(fs.readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    musl = header !== undefined && header.glibcVersionRuntime === undefined;
  }
  return musl;
}

const hostTarget = `${process.platform}-${process.arch}`;

/** The files a part may be for `target`, in the order they are tried (a local build serves this machine only). */
export function nativeCandidates(part: NativePart, root = packageRoot(), target = hostTarget): string[] {
  if (!root) return [];
  const prebuilt = path.join(root, 'prebuilds', target);
  const names = part === 'hafen.node' && onMusl() ? ['hafen.musl.node', 'hafen.node'] : [part];
  const local = target === hostTarget ? [path.join(root, 'build', 'Release', part)] : [];
  return [...names.map((n) => path.join(prebuilt, n)), ...local];
}

const found = new Map<string, string | undefined>();

/** The absolute path of a native part, or undefined when this package has none for `target` (this machine). */
export function nativeFile(part: NativePart, target = hostTarget): string | undefined {
  const key = `${target}/${part}`;
  if (!found.has(key)) found.set(key, nativeCandidates(part, undefined, target).find((f) => fs.existsSync(f)));
  return found.get(key);
}

/**
 * Why the embedded runtime cannot run on this machine, in one sentence, or undefined when it can
 * (as far as the files go: root and the kernel are checked where they are needed).
 */
export function embeddedUnavailable(platform: string = process.platform, arch: string = process.arch): string | undefined {
  if (platform !== 'linux') return `the embedded runtime needs Linux, this is ${platform}`;
  const target = `${platform}-${arch}`;
  const missing = (['hafen-run', 'hafen.node'] as const).filter((p) => !nativeFile(p, target));
  if (!(PREBUILT_TARGETS as readonly string[]).includes(target) && missing.length > 0) {
    return `the embedded runtime has no build for ${target} (prebuilt: ${PREBUILT_TARGETS.join(', ')}); \`npm run build:native\` builds one with a C compiler`;
  }
  if (missing.length > 0) return `the embedded runtime's ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing from this installation; \`npm run build:native\` builds ${missing.length > 1 ? 'them' : 'it'} with a C compiler`;
  return undefined;
}
