#!/usr/bin/env -S node --
/**
 * The installed `stack` and `hafen` (bundled as dist/cli.cjs, a CommonJS script: no ES module
 * loader to start, issue 16): runs the CLI bundle dist/cli-bundle.cjs (run-main.ts and all it
 * loads) through V8's code cache (code-cache.ts). HAFEN_CODE_CACHE_OUT=FILE (build time,
 * scripts/bundle.mjs) writes the cache this run makes to FILE.
 */
// `node --`: Node 20 takes `--env-file` anywhere on its command line as its own option; after `--` it is ours.
import Module from 'node:module';
import path from 'node:path';
import { requireCached } from '../code-cache.js';

/** The hash of dist/cli-bundle.cjs, set by scripts/bundle.mjs; it names the user's cache file. */
declare const HAFEN_CLI_BUILD_ID: string;

// __dirname: this file only ever runs as the CommonJS bundle dist/cli.cjs (never from tsc's output).
// The bundle's import() (of Node's modules and of Ink) is this file's, which Node compiled itself.
const dynamicImport = (specifier: string): Promise<unknown> => import(specifier);

async function main(argv: string[]): Promise<void> {
  // A user without root: an embedded command moves into the user's namespaces before the CLI
  // bundle loads (early-entry.ts, its own small bundle), so the process waiting outside stays small.
  if (process.platform === 'linux' && process.getuid?.() !== 0) {
    const early = Module.createRequire(__filename)(path.join(__dirname, 'cli-early.cjs')) as typeof import('./early-entry.js');
    // A failed move is not reported here: runMain takes the same step again and reports its error
    // as it reports every error (one plain line, the error's exit code).
    await early.moveEarly(argv).catch(() => {});
  }
  const cli = requireCached({ file: path.join(__dirname, 'cli-bundle.cjs'), buildId: HAFEN_CLI_BUILD_ID }, dynamicImport, process.env.HAFEN_CODE_CACHE_OUT) as typeof import('./run-main.js');
  await cli.runMain(argv);
}

void main(process.argv.slice(2));
