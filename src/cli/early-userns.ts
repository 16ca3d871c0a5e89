/**
 * The move of a user without root into its namespaces (issue 17), at the CLI's first lines: a
 * command that works through the embedded runtime (it makes, changes or enters containers, or
 * writes the image store, whose files belong to the user's subordinate ids) runs again inside the
 * user's namespaces before anything is loaded, so the stack file is read once, by the process that
 * uses it. Commands that only look (ps, port, config, logs, top, stats, wait, ls, images) stay
 * outside: they read state files and reach the supervisor by its socket. Read from the bare
 * arguments, so it can be wrong: a stack file that names `runtime:` or `ships:` (its runtime is
 * known only once loaded) is left to the late move in openProjectRuntime.
 */
import { remoteAsked } from '../remote/ssh-target.js';
import fs from 'node:fs';
import path from 'node:path';
import { argvFacts, ownShortFlags } from './argv-facts.js';
import { markUserNamespaceCommand } from '../runtime/embedded/rootless/rerun-permission.js';

/** Commands that need the user's namespaces (the embedded runtime's mounts, links, launcher, or the image store). */
const NAMESPACE_COMMANDS: ReadonlySet<string> = new Set(['up', 'down', 'run', 'exec', 'start', 'stop', 'restart', 'kill', 'build', 'pull', 'rmi', 'prune', 'image', 'dash', 'events', 'pause', 'unpause', 'cp', 'push', 'rm', 'create', 'scale', /* issue 20 */ 'snapshot', 'reset']);

/** Of those, the commands that need the holder's network (issue 17): they start containers, build or pull. */
const NETWORK_COMMANDS: ReadonlySet<string> = new Set(['up', 'run', 'start', 'restart', 'build', 'pull', 'dash']);

/**
 * Whether `command` needs the user's namespaces (the table above); `wait --down-project` does (it
 * takes the project down as `down` does, so its end may stop the user's holder).
 */
export function needsNamespaceCommand(command: string | undefined, argv: readonly string[] = []): boolean {
  if (command === 'wait') return argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--down-project');
  return command !== undefined && NAMESPACE_COMMANDS.has(command);
}

/** The files `-f`/`--file` name, in order (a command's own `-f` after its name names none: `logs -f`). */
export function namedFiles(given: readonly string[]): string[] {
  const argv = ownShortFlags(given); // `logs -f api` names no file
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '-f' || a === '--file') files.push(argv[++i] ?? '');
    else if (a.startsWith('--file=')) files.push(a.slice('--file='.length));
  }
  return files;
}

/** A top-level key that chooses the runtime from the file (only known once it is loaded). */
const RUNTIME_KEYS = /^(?:runtime|ships)\s*:/m;

/**
 * Whether the stack file(s) the command reads may choose a runtime of their own: then the move
 * waits until the stack is loaded. A file that cannot be read here moves early (the loader inside
 * says what is wrong with it); standard input is never read here (it can be read once).
 */
function filesMayChooseRuntime(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, projectDirectory: string | undefined): boolean {
  let files = namedFiles(argv);
  if (files.length === 0 && env.COMPOSE_FILE) files = env.COMPOSE_FILE.split(env.COMPOSE_PATH_SEPARATOR || path.delimiter).filter(Boolean);
  if (files.length === 0) {
    const dir = path.resolve(cwd, projectDirectory ?? '.');
    files = ['stack.yaml', 'stack.yml', 'compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'].map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f)).slice(0, 1);
  }
  return files.some((file) => {
    if (file === '-') return false;
    try {
      return RUNTIME_KEYS.test(fs.readFileSync(path.resolve(cwd, file), 'utf8'));
    } catch {
      return false;
    }
  });
}

/**
 * For a user without root running a command of the table on the embedded runtime: runs the command
 * again inside the user's namespaces and exits with its code (never returns then). Otherwise
 * returns at once, having loaded nothing more (root, or a command that only looks, pay nothing).
 */
export async function enterUserNamespaceEarly(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() === 0) return; // root, or already inside (uid 0 there)
  const facts = argvFacts(argv);
  if (facts.help || !needsNamespaceCommand(facts.command, argv)) return;
  markUserNamespaceCommand(); // openProjectRuntime moves late when this early move is skipped
  if (['docker', 'swarm'].includes(facts.runtime ?? env.HAFEN_RUNTIME ?? '')) return; // an engine's runtime: no namespaces here
  if (remoteAsked(argv, env)) return; // issue 19: the runtime is on another host
  if (facts.runtime === undefined && !env.HAFEN_RUNTIME && filesMayChooseRuntime(argv, env, cwd, facts.projectDirectory)) return;
  const [{ needsUserNamespace, rerunInUserNamespace }, { userNamespacesUnavailable }, { embeddedUnavailable }] = await Promise.all([
    import('../runtime/embedded/rootless/enter-namespace.js'),
    import('../runtime/embedded/rootless/userns-probe.js'),
    import('../runtime/embedded/native-files.js'),
  ]);
  if (!needsUserNamespace(env)) return;
  if (embeddedUnavailable() || userNamespacesUnavailable()) return; // Docker is chosen later, with its line saying why
  await rerunInUserNamespace((line) => process.stderr.write(`${line}\n`), { network: NETWORK_COMMANDS.has(facts.command!) });
}
