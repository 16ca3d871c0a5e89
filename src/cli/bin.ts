#!/usr/bin/env -S node --
/**
 * `stack` as an ES module (dist/src/cli/bin.js from tsc): turns Node's compile cache on first, so
 * the CLI's own modules, loaded after it, come from the cache on Node 22+; then runs run-main.ts.
 * The package's `stack` is dist/cli.cjs (bin-cjs.ts), the same code as one CommonJS bundle.
 * A user without root running a command of the embedded runtime moves into its namespaces first
 * (early-userns.ts), before the program's modules load: the process that only waits outside
 * loads a few small modules (issue 17: rootless start within 1.5× of root's).
 */
// `node --`: Node 20 takes `--env-file` anywhere on its command line as its own option; after `--` it is ours.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();
if (process.platform === 'linux' && process.getuid?.() !== 0) {
  const { moveEarly } = await import('./early-entry.js');
  await moveEarly(process.argv.slice(2)).catch(() => {}); // reported by runMain, which takes the same step again
}
const { runMain } = await import('./run-main.js');
await runMain(process.argv.slice(2));
