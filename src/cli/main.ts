#!/usr/bin/env -S node --
/** Entry point of `stack` as compiled by tsc (dist/src/cli/main.js); the body is run-main.ts. */
// `node --`: Node 20 takes `--env-file` anywhere on its command line as its own option; after `--` it is ours.
import { runMain } from './run-main.js';

await runMain(process.argv.slice(2));
