#!/usr/bin/env -S node --
/**
 * The installed `stack` and `hafen` (bundled as dist/cli.cjs, a CommonJS script: no ES module
 * loader to start, issue 16): runs the CLI's hot bundle dist/cli-bundle.cjs (run-main.ts and what
 * short commands need) through V8's code cache (code-cache.ts), and the cold bundle
 * dist/cli-cold.cjs (the rest) only when a command imports a module of it (scripts/bundle.mjs).
 * HAFEN_CODE_CACHE_OUT=FILE (build time, scripts/bundle.mjs) writes the hot bundle's cache to FILE.
 * `ps`, `port` and the help keep a cache of their own for the hot bundle (cache-slot.ts).
 */
// `node --`: Node 20 takes `--env-file` anywhere on its command line as its own option; after `--` it is ours.
// Named imports only: esbuild copies a default-imported module's every property at start-up.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { requireCached } from '../code-cache.js';
import { cacheSlot } from './cache-slot.js';
import { coldModule, hotRequire, type ColdBundle, type HotBundle } from './split-bundle.js';

/** The hashes of dist/cli-bundle.cjs and dist/cli-cold.cjs, set by scripts/bundle.mjs; they name the user's cache files. */
declare const HAFEN_CLI_BUILD_ID: string;
declare const HAFEN_COLD_BUILD_ID: string;

let hot: HotBundle | undefined;
let cold: ColdBundle | undefined;

// __dirname: this file only ever runs as the CommonJS bundle dist/cli.cjs (never from tsc's output).
// The bundles' import() (of Node's modules, of Ink, and of each other's modules) is this file's,
// which Node compiled itself.
const dynamicImport = (specifier: string): Promise<unknown> => {
  const fromCold = coldModule(specifier, () => (cold ??= requireCached({ file: join(__dirname, 'cli-cold.cjs'), buildId: HAFEN_COLD_BUILD_ID }, dynamicImport, undefined, (require) => hotRequire(require, hot!)) as ColdBundle), hot);
  return fromCold ?? import(specifier);
};

async function main(argv: string[]): Promise<void> {
  // A user without root: an embedded command moves into the user's namespaces before the CLI
  // bundle loads (early-entry.ts, its own small bundle), so the process waiting outside stays small.
  if (process.platform === 'linux' && process.getuid?.() !== 0) {
    const early = createRequire(__filename)(join(__dirname, 'cli-early.cjs')) as typeof import('./early-entry.js');
    // A failed move is not reported here: runMain takes the same step again and reports its error
    // as it reports every error (one plain line, the error's exit code).
    await early.moveEarly(argv).catch(() => {});
  }
  const slot = cacheSlot(argv);
  hot = requireCached({ file: join(__dirname, 'cli-bundle.cjs'), buildId: HAFEN_CLI_BUILD_ID, ...(slot ? { slot } : {}) }, dynamicImport, process.env.HAFEN_CODE_CACHE_OUT) as HotBundle;
  await hot.runMain(argv);
  // Once nothing is left to do, exit at once: Node's natural exit frees the whole heap first, which
  // costs a short command a tenth of its time (issue 16). 'beforeExit' comes only when the event
  // loop is empty, so no work is cut; stdout and stderr are written synchronously on Linux.
  process.once('beforeExit', () => process.exit());
}

void main(process.argv.slice(2));
