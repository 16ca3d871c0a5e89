/**
 * Which code cache a run of the CLI takes (src/code-cache.ts, issue 16). The shipped cache is made
 * by `config -q` at build time; `ps`, `port` and the help run functions that run never compiles,
 * so each keeps a cache of its own, written by its first run for the user. The command is told
 * from the words alone, before anything parses them: a wrong guess (a project named `ps`) only
 * takes a cache that fits less. Only Node's built-ins here: this runs in dist/cli.cjs.
 */

/** Commands with a cache of their own. */
const OWN_CACHE = new Set(['ps', 'port']);

/** The cache slot of a run given `argv` (the words after the script), or undefined for the shipped cache. */
export function cacheSlot(argv: readonly string[]): string | undefined {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) return 'help';
  return argv.find((word) => OWN_CACHE.has(word));
}
