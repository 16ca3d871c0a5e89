/**
 * node:child_process, loaded when first used (issue 16): importing it loads node:net, streams and
 * more, a twentieth of a short command's start, and `config`, `--help` and `ps` never spawn anything.
 * For modules on the CLI's start-up path that spawn only in some commands (a standby supervisor for
 * `up`, git for a remote `include:`).
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
let loaded: typeof import('node:child_process') | undefined;

/** The node:child_process module (loaded on the first call). */
export function childProcess(): typeof import('node:child_process') {
  return (loaded ??= load('node:child_process') as typeof import('node:child_process'));
}
