/**
 * Runs a CommonJS bundle through V8's code cache (issue 16: start-up on Node 20, which has no
 * module.enableCompileCache). Compiling the CLI bundle is a fifth of a short command's own time;
 * with the cache V8 takes the bytecode of the functions an earlier run compiled instead.
 *
 * The cache is a file of vm.Script's cachedData. Where it comes from, the first that exists:
 *  1. the user's: $XDG_CACHE_HOME/hafen (else ~/.cache/hafen) / code-cache /
 *     `<bundle>-<build id>-<node version>-<arch>.cache`, written (mode 0600, taken only when the
 *     user owns it) when a run found no cache it could use (V8 rejects one from another V8 or other
 *     V8 flags), and `….<slot>.cache` by the first run of a command that keeps its own (`ps`,
 *     `port`, the help: bin-cjs.ts); writing one removes that bundle's caches of other builds and Nodes;
 *  2. the one shipped beside the bundle, made at build time by the building Node
 *     (scripts/bundle.mjs): `<bundle>.<node version>-<arch>.cache`.
 * Anything that goes wrong with a cache (missing, rejected, a folder it cannot write) only costs
 * speed: the bundle is compiled as without one. NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch)
 * turns it off. The bundle has no `import()` of its own (Node 20 drops a vm.Script's import()
 * callback when the script comes from a cache): it calls the one its loader passes in.
 * Only Node's built-in modules here: this runs before anything else is loaded.
 */
// Named imports only: esbuild copies a default-imported module's every property at start-up.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * A bundle to run: its file, the id of its build (a hash of its text, set by scripts/bundle.mjs),
 * and the command it runs for when that command keeps a cache of its own (`ps`: the shipped cache
 * is made by `config -q`, so `ps` would compile its own functions at every run).
 */
export interface CachedBundle {
  file: string;
  buildId: string;
  slot?: string;
}

/** The shipped cache of `bundle` for this Node (made at build time), by file name. */
export function shippedCachePath(bundleFile: string, version = process.version, arch = process.arch): string {
  return `${bundleFile}.${version}-${arch}.cache`;
}

/** What the names of the user's caches of this build of `bundle` for this Node start with. */
function userCachePrefix(bundle: CachedBundle, version: string, arch: string): string {
  return `${basename(bundle.file, '.cjs')}-${bundle.buildId}-${version}-${arch}.`;
}

/**
 * The user's cache of a build of `bundle` for this Node: `<bundle name>-<build id>-<node version>-<arch>.cache`,
 * or `….<slot>.cache` for a command with its own (the bundle's name first, so the caches of its
 * older builds can be found and removed).
 */
export function userCachePath(bundle: CachedBundle, env: NodeJS.ProcessEnv = process.env, version = process.version, arch = process.arch): string {
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'hafen', 'code-cache', `${userCachePrefix(bundle, version, arch)}${bundle.slot ? `${bundle.slot}.` : ''}cache`);
}

/**
 * Whether the cache file `name` is one a run of this build of `bundle` on this Node replaces: the
 * bundle's caches of other builds and other Nodes, and those of before the bundle's name was in them.
 */
export function replacedCache(name: string, bundle: CachedBundle, version = process.version, arch = process.arch): boolean {
  if (name.startsWith(`${basename(bundle.file, '.cjs')}-`)) return !name.startsWith(userCachePrefix(bundle, version, arch));
  return /^[0-9a-f]{16}-v[^-]+-[^-]+\.cache$/.test(name);
}

/** The file's bytes, or undefined when it is missing, unreadable, or (`ownOnly`) not this user's alone. */
function readCache(file: string, ownOnly: boolean): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (ownOnly) {
      // Cached bytecode runs as code: never take one another user could have written.
      const st = fstatSync(fd);
      if (st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return undefined;
    }
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `data` to `file` whole or not at all (another process may read it at the same time). */
function writeAtomically(file: string, data: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, file);
  } catch {
    // A read-only or full cache folder: the next run compiles again, nothing else.
  }
}

/**
 * Removes the user's caches that this build of `bundle` replaces (each build of hafen writes its
 * own, so they would pile up). A run of another installed build writes its own again: it costs
 * that run a write, never a wrong answer.
 */
function removeReplaced(bundle: CachedBundle, dir: string): void {
  try {
    for (const name of readdirSync(dir)) if (replacedCache(name, bundle)) rmSync(join(dir, name), { force: true });
  } catch {
    // Nothing to tidy, or no right to: only disk space.
  }
}

/**
 * Loads and runs the CommonJS `bundle` as `require` would, and returns its exports; the bundle's
 * `__hafenImport(specifier)` is `dynamicImport`. `produce` (build time): write the cache this run
 * makes to that file, whatever was found. `requireFrom` turns the bundle's `require` into the one it
 * is given (the cold CLI bundle's `hafen-hot:` modules come from the hot one).
 */
export function requireCached(
  bundle: CachedBundle,
  dynamicImport: (specifier: string) => Promise<unknown>,
  produce?: string,
  requireFrom: (require: NodeJS.Require) => NodeJS.Require = (require) => require,
): unknown {
  // ASCII only (scripts/bundle.mjs escapes the rest), so read as Latin-1: a plain copy into a
  // one-byte string, about half the time of decoding UTF-8 (issue 16).
  const source = readFileSync(bundle.file, 'latin1');
  const user = userCachePath(bundle);
  const wanted = process.env.NODE_DISABLE_COMPILE_CACHE !== '1' || produce !== undefined;
  // The user's first: it exists where the shipped one was missing or rejected before, or where the
  // command keeps its own (a slot).
  const own = wanted && produce === undefined ? readCache(user, true) : undefined;
  const cachedData = own ?? (wanted && produce === undefined ? readCache(shippedCachePath(bundle.file), false) : undefined);
  const script = new Script(`${WRAPPER_START}${source}${WRAPPER_END}`, { filename: bundle.file, cachedData });
  const rejected = cachedData === undefined || script.cachedDataRejected === true;
  const target = produce ?? (wanted && (rejected || (own === undefined && bundle.slot !== undefined)) ? user : undefined);
  // Made at exit, so the functions this run compiled are in it, not only the top level.
  if (target !== undefined) {
    process.once('exit', () => {
      writeAtomically(target, script.createCachedData());
      if (target === user) removeReplaced(bundle, dirname(user));
    });
  }
  const module = { exports: {} as unknown, filename: bundle.file, id: bundle.file, loaded: false };
  const wrapper = script.runInThisContext() as BundleFunction;
  wrapper.call(module.exports, module.exports, requireFrom(createRequire(bundle.file)), module, bundle.file, dirname(bundle.file), dynamicImport);
  module.loaded = true;
  return module.exports;
}

/** The bundle as a function: CommonJS's five parameters and the import() it is given (scripts/bundle.mjs). */
type BundleFunction = (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string, hafenImport: (specifier: string) => Promise<unknown>) => void;

// One line, so the bundle's line numbers in stack traces stay its own.
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname, __hafenImport) { ';
const WRAPPER_END = '\n})';
