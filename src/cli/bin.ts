#!/usr/bin/env -S node --
/**
 * The installed `stack` and `hafen` (bundled as dist/cli.js): turns Node's compile cache on first,
 * so the CLI's own modules, loaded after it, come from the cache on Node 22+; then runs main.ts.
 */
// `node --`: Node 20 takes `--env-file` anywhere on its command line as its own option; after `--` it is ours.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();
await import('./main.js');
