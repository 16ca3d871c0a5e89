/** Options every command takes, before or after the command name (`stack -p shop up` = `stack up -p shop`). */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RuntimeName } from '../config/model.js';
import { parseSshTarget } from '../remote/ssh-target.js';

export type Progress = 'auto' | 'tty' | 'plain' | 'json';

/** The parsed common options. */
export interface GlobalOptions {
  /** `-f` files in order (merged as Compose merges them); empty: COMPOSE_FILE or the folder's default file and its override. */
  file: string[];
  projectName?: string;
  /** `HAFEN_PROJECT=` when the name came from that variable, not -p (for messages). */
  projectNameVia?: string;
  /** `--project-directory`: the folder relative paths of the files resolve against. */
  projectDirectory?: string;
  /** `--env-file` files, instead of the project folder's `.env`. */
  envFile: string[];
  profile: string[];
  runtime?: RuntimeName;
  progress: Progress;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Declares the common options on the root command; commander lets them appear after subcommands too. */
export function addGlobalOptions(program: Command): Command {
  return program
    .option('-f, --file <file>', 'stack file, repeatable: later files merge over earlier ones; - reads standard input (default: COMPOSE_FILE, else stack.yaml, compose.yaml, … and its override file)', collect, [])
    .option('-p, --project-name <name>', 'project name (default: HAFEN_PROJECT, else COMPOSE_PROJECT_NAME, else the file\'s name:, else its folder)')
    .option('--project-directory <dir>', 'project folder: relative paths resolve here (default: the first file\'s folder)')
    .option('--env-file <file>', 'variables for interpolation instead of the project folder\'s .env (repeatable)', collect, [])
    .option('--profile <name>', 'enable a profile (repeatable)', collect, [])
    .addOption(new Option('--runtime <runtime>', 'container runtime').choices(['embedded', 'docker', 'swarm']))
    .addOption(
      new Option('--progress <mode>', 'progress output').choices(['auto', 'tty', 'plain', 'json']).default('auto'),
    )
    // issue 19: the embedded runtime of another Linux host, over ssh.
    .option('--host <ssh-url>', 'run the containers on another Linux host over ssh: ssh://[user@]host[:port] (default: HAFEN_HOST)');
}

/** Reads the common options as seen from a (sub)command. */
export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<Record<string, unknown>>();
  const runtime = (o.runtime as RuntimeName | undefined) ?? envRuntime(process.env.HAFEN_RUNTIME);
  // issue 19: `--host` is HAFEN_HOST for everything the command opens (checked here, so a bad one is exit 2 before anything).
  if (o.host !== undefined) process.env.HAFEN_HOST = o.host as string;
  if (process.env.HAFEN_HOST) parseSshTarget(process.env.HAFEN_HOST, o.host !== undefined ? '--host' : 'HAFEN_HOST');
  return {
    file: (o.file as string[] | undefined) ?? [],
    // HAFEN_PROJECT names the project as -p does (and before COMPOSE_PROJECT_NAME, which other tools share).
    projectName: (o.projectName as string | undefined) ?? (process.env.HAFEN_PROJECT || undefined),
    ...(o.projectName === undefined && process.env.HAFEN_PROJECT ? { projectNameVia: 'HAFEN_PROJECT=' } : {}),
    envFile: (o.envFile as string[] | undefined) ?? [],
    profile: (o.profile as string[] | undefined) ?? [],
    ...(o.projectDirectory !== undefined ? { projectDirectory: o.projectDirectory as string } : {}),
    runtime,
    progress: (o.progress as Progress | undefined) ?? 'auto',
  };
}

function envRuntime(value: string | undefined): RuntimeName | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'embedded' || value === 'docker' || value === 'swarm') return value;
  throw new UsageError(`HAFEN_RUNTIME=${value}: expected "embedded", "docker" or "swarm"`);
}
