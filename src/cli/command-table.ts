/**
 * Commands by name, so a run of `stack ps` builds the one command it runs instead of all thirty
 * (each is a tree of commander objects, and every one built costs start-up time). A command missing
 * here still works: the program then builds them all, as it does for help, completion scripts and
 * anything it cannot tell (program.ts).
 */
import type { Command } from 'commander';
import { buildCommand } from './commands/build.js';
import { completeCommand } from './commands/completion.js';
import { configCommand } from './commands/config.js';
import { cpCommand } from './commands/cp.js';
import { dashCommand } from './commands/dash.js';
import { downCommand } from './commands/down.js';
import { eventsCommand } from './commands/events.js';
import { execCommand } from './commands/exec.js';
import { imageCommand } from './commands/image.js';
import { imagesCommand, pruneCommand, rmiCommand } from './commands/images.js';
import { killCommand, restartCommand, startCommand, stopCommand } from './commands/lifecycle.js';
import { logsCommand } from './commands/logs.js';
import { lsCommand } from './commands/ls.js';
import { pauseCommand, unpauseCommand } from './commands/pause.js';
import { planCommand } from './commands/plan.js';
import { portCommand } from './commands/port.js';
import { psCommand } from './commands/ps.js';
import { pullCommand } from './commands/pull.js';
import { pushCommand } from './commands/push.js';
import { runCommand } from './commands/run.js';
import { statsCommand } from './commands/stats.js';
import { topCommand } from './commands/top.js';
import { upCommand } from './commands/up.js';
import { versionCommand } from './commands/version.js';
import { waitCommand } from './commands/wait.js';
import type { Output } from './output.js';
import { rmCommand } from './commands/rm.js';
import { createCommand } from './commands/create.js';
import { scaleCommand } from './commands/scale.js';
import { systemCommand } from './commands/system.js';
import { resetCommand, snapshotCommand } from './commands/snapshot.js';

/** Makes one top-level command (its name is the key it is listed under). */
export type CommandFactory = (output: Output) => Command;

/** The commands that can be built alone; `completion` is not one (its script lists every command). */
export const SINGLE_COMMANDS: Readonly<Record<string, CommandFactory>> = {
  config: configCommand,
  plan: planCommand,
  up: upCommand,
  down: downCommand,
  ps: psCommand,
  logs: logsCommand,
  exec: execCommand,
  run: runCommand,
  port: portCommand,
  start: startCommand,
  stop: stopCommand,
  restart: restartCommand,
  kill: killCommand,
  build: buildCommand,
  pull: pullCommand,
  images: imagesCommand,
  rmi: rmiCommand,
  prune: pruneCommand,
  image: imageCommand,
  dash: dashCommand,
  version: versionCommand,
  events: eventsCommand,
  ls: lsCommand,
  pause: pauseCommand,
  unpause: unpauseCommand,
  top: topCommand,
  cp: cpCommand,
  wait: waitCommand,
  stats: statsCommand,
  __complete: completeCommand,
  // Compose's rm, create and scale (cli-gaps).
  rm: rmCommand,
  create: createCommand,
  scale: scaleCommand,
  // Issue 18.
  push: pushCommand,
  // Issue 19: the remote ends of HAFEN_HOST=ssh://….
  system: systemCommand,
  // Issue 20.
  snapshot: snapshotCommand,
  reset: resetCommand,
};

/**
 * The command argv runs when the program can build it alone, else undefined: the first word that
 * is not an option or the value of one of `root`'s options (read from `root` itself, so a new
 * common option is skipped right). Help and version before the command, `--`, or a word that is
 * no command here all build the whole program, whose parser then decides as ever.
 */
export function singleCommand(root: Command, argv: readonly string[]): CommandFactory | undefined {
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
