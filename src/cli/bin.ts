#!/usr/bin/env -S node --
/**
 * The installed `stack` and `hafen` (bundled as dist/cli.js): turns Node's compile cache on first,
 * so the CLI's own modules, loaded after it, come from the cache on Node 22+; then runs main.ts.
 * A user without root running a command of the embedded runtime moves into its namespaces first
 * (early-userns.ts), before the program's modules load: the process that only waits outside
 * loads a few small modules (issue 17: rootless start within 1.5× of root's).
 */
// `node --`: Node 20 takes `--env-file` anywhere on its command line as its own option; after `--` it is ours.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();
if (process.platform === 'linux' && process.getuid?.() !== 0) {
  const [{ enterUserNamespaceEarly }, { allowUserNamespaceRerun }] = await Promise.all([import('./early-userns.js'), import('../runtime/embedded/rootless/rerun-permission.js')]);
  allowUserNamespaceRerun();
  await enterUserNamespaceEarly(process.argv.slice(2));
}
await import('./main.js');
