/**
 * The top-level commands, in the order help lists them, each with the module that makes it loaded
 * only when it is built (issue 16): a run of `stack ps` reads and runs the one command module it
 * uses instead of all thirty, and builds one tree of commander objects. Help, completion scripts and
 * anything the program cannot tell build them all (program.ts).
 */
import type { Command } from 'commander';
import type { Output } from './output.js';

/** Makes one top-level command (its name is the key it is listed under). */
export type CommandFactory = (output: Output) => Command;

/** Loads the module of one command and gives its factory. */
export type CommandLoader = () => Promise<CommandFactory>;

/**
 * Every top-level command but `completion` and `__complete` (program.ts adds those last, since
 * completion's script lists all the others), in help's order.
 */
export const COMMAND_LOADERS: ReadonlyArray<readonly [string, CommandLoader]> = [
  ['config', async () => (await import('./commands/config.js')).configCommand],
  ['plan', async () => (await import('./commands/plan.js')).planCommand],
  ['up', async () => (await import('./commands/up.js')).upCommand],
  ['down', async () => (await import('./commands/down.js')).downCommand],
  ['ps', async () => (await import('./commands/ps.js')).psCommand],
  ['logs', async () => (await import('./commands/logs.js')).logsCommand],
  ['exec', async () => (await import('./commands/exec.js')).execCommand],
  ['run', async () => (await import('./commands/run.js')).runCommand],
  ['port', async () => (await import('./commands/port.js')).portCommand],
  ['start', async () => (await import('./commands/lifecycle.js')).startCommand],
  ['stop', async () => (await import('./commands/lifecycle.js')).stopCommand],
  ['restart', async () => (await import('./commands/lifecycle.js')).restartCommand],
  ['kill', async () => (await import('./commands/lifecycle.js')).killCommand],
  ['build', async () => (await import('./commands/build.js')).buildCommand],
  ['pull', async () => (await import('./commands/pull.js')).pullCommand],
  ['images', async () => (await import('./commands/images.js')).imagesCommand],
  ['rmi', async () => (await import('./commands/images.js')).rmiCommand],
  ['prune', async () => (await import('./commands/images.js')).pruneCommand],
  ['image', async () => (await import('./commands/image.js')).imageCommand],
  ['dash', async () => (await import('./commands/dash.js')).dashCommand],
  ['version', async () => (await import('./commands/version.js')).versionCommand],
  // issue 14: container events
  ['events', async () => (await import('./commands/events.js')).eventsCommand],
  // issue 14, projects: `stack ls`.
  ['ls', async () => (await import('./commands/ls.js')).lsCommand],
  // Container commands (issue 14): pause/unpause, top, cp, wait, stats.
  ['pause', async () => (await import('./commands/pause.js')).pauseCommand],
  ['unpause', async () => (await import('./commands/pause.js')).unpauseCommand],
  ['top', async () => (await import('./commands/top.js')).topCommand],
  ['cp', async () => (await import('./commands/cp.js')).cpCommand],
  ['wait', async () => (await import('./commands/wait.js')).waitCommand],
  ['stats', async () => (await import('./commands/stats.js')).statsCommand],
  // Compose's rm, create and scale (cli-gaps).
  ['rm', async () => (await import('./commands/rm.js')).rmCommand],
  ['create', async () => (await import('./commands/create.js')).createCommand],
  ['scale', async () => (await import('./commands/scale.js')).scaleCommand],
  // Issue 18: images to a registry.
  ['push', async () => (await import('./commands/push.js')).pushCommand],
  // Issue 19: the remote ends of `HAFEN_HOST=ssh://…`.
  ['system', async () => (await import('./commands/system.js')).systemCommand],
  // Issue 20: snapshots and resets.
  ['snapshot', async () => (await import('./commands/snapshot.js')).snapshotCommand],
  ['reset', async () => (await import('./commands/snapshot.js')).resetCommand],
];

/** `completion` (its script lists every command) and the hidden `__complete` its scripts call. */
export const completionLoader: CommandLoader = async () => (await import('./commands/completion.js')).completionCommand;
export const completeLoader: CommandLoader = async () => (await import('./commands/completion.js')).completeCommand;

/** The commands that can be built alone, by name; `completion` is not one (its script lists every command). */
export const SINGLE_COMMANDS: Readonly<Record<string, CommandLoader>> = { ...Object.fromEntries(COMMAND_LOADERS), __complete: completeLoader };

/**
 * The command argv runs when the program can build it alone, else undefined: the first word that
 * is not an option or the value of one of `root`'s options (read from `root` itself, so a new
 * common option is skipped right). Help and version before the command, `--`, or a word that is
 * no command here all build the whole program, whose parser then decides as ever.
 */
export function singleCommand(root: Command, argv: readonly string[]): CommandLoader | undefined {
  const takesValue = new Set(root.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined)));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--' || a === '-h' || a === '--help' || a === '-V' || a === '--version') return undefined;
    if (a.startsWith('-')) {
      if (takesValue.has(a)) i++; // `-f stack.yaml`: the next word is the value
      continue;
    }
    return Object.hasOwn(SINGLE_COMMANDS, a) ? SINGLE_COMMANDS[a] : undefined;
  }
  return undefined;
}
