#!/usr/bin/env -S node --
/**
 * `stack` as an ES module (dist/src/cli/bin.js from tsc): turns Node's compile cache on first, so
 * the CLI's own modules, loaded after it, come from the cache on Node 22+; then runs run-main.ts.
 * The package's `stack` is dist/cli.cjs (bin-cjs.ts), the same code as one CommonJS bundle.
 */
// `node --`: Node 20 takes `--env-file` anywhere on its command line as its own option; after `--` it is ours.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();
const { runMain } = await import('./run-main.js');
await runMain(process.argv.slice(2));
