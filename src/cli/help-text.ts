/**
 * What every command's `--help` ends with: the environment variables it reads, its exit codes and
 * one example. One table keyed by the command's path (`up`, `image save`), attached to the built
 * program by attachHelpText, so the command files stay about their options and a command without
 * an entry fails help-text.test.ts.
 */
import type { Command } from 'commander';

/** The environment variables hafen reads, and what each does. */
export const ENVIRONMENT = {
  COMPOSE_FILE: 'stack files when no -f is given, separated by COMPOSE_PATH_SEPARATOR',
  COMPOSE_PATH_SEPARATOR: "separator of COMPOSE_FILE (default ':')",
  COMPOSE_PROJECT_NAME: 'project name when no -p is given (also read from .env)',
  HAFEN_PROJECT: 'the same as COMPOSE_PROJECT_NAME',
  COMPOSE_ENV_FILES: "comma-separated files of variables instead of the project folder's .env",
  COMPOSE_DISABLE_ENV_FILE: "true or 1: do not read the project folder's .env",
  HAFEN_RUNTIME: "embedded or docker, when no --runtime is given (over the file's runtime:)",
  HAFEN_ROOT: "hafen's state folder: containers and image store (default /var/lib/hafen; for a user without root $XDG_DATA_HOME/hafen)",
  XDG_STATE_HOME: 'a non-root user\'s state folder on Docker, without HAFEN_ROOT (default ~/.local/state)',
  HAFEN_PUBLISH_ALL: '1: ports without an address listen on 0.0.0.0 (default 127.0.0.1)',
  HAFEN_SUBNET_POOL: 'subnets for stack networks, e.g. 10.99.0.0/16:24 (embedded runtime)',
  HAFEN_MAX_IMAGE_BYTES: 'most bytes one import or pull reads (default 16g)',
  HAFEN_MAX_LAYER_BYTES: 'largest unpacked layer of an import or pull (default 64g)',
  HAFEN_INSECURE_REGISTRIES: 'comma-separated registries reached over plain http',
  DOCKER_CONFIG: 'folder of config.json with registry credentials (default ~/.docker)',
  DOCKER_HOST: 'the Docker engine (default unix:///var/run/docker.sock)',
  DOCKER_TLS_VERIFY: 'with DOCKER_CERT_PATH: talk TLS to DOCKER_HOST (ca.pem, cert.pem, key.pem)',
  SSH_AUTH_SOCK: 'ssh agent for build ssh mounts and ssh:// engine addresses',
  NO_COLOR: 'set and not empty: no colour',
  // Issue 18, push.
  HAFEN_PUSH_CHUNK_SIZE: 'blobs larger than this many bytes are pushed in chunks of it (default 16 MiB; embedded runtime)',
  // Issue 17, rootless limits.
  HAFEN_CGROUP_PARENT: "a user without root: the cgroup its containers' limits go in, a folder root gave it under each hierarchy (e.g. hafen-alice) or an absolute path on cgroup v2 (default <hierarchy>/hafen-<uid>, or on v2 a delegated systemd user cgroup)",
  // Issue 19, another host over ssh.
  HAFEN_HOST: 'ssh://[user@]host[:port]: run the embedded runtime on that Linux host over ssh (as --host)',
  HAFEN_SSH_COMMAND: 'the ssh program and its options for HAFEN_HOST (default ssh; e.g. "ssh -F ./ssh_config")',
  HAFEN_REMOTE_COMMAND: 'how hafen runs on the HAFEN_HOST host, as shell words (default hafen)',
} as const satisfies Record<string, string>;

/** A variable hafen reads. */
export type EnvironmentVariable = keyof typeof ENVIRONMENT;

/** Exit codes and what each means; every command can end with 0, 2, 70 and 130, some with 1 or a container's code. */
export const EXIT_CODES = {
  ok: '0    done',
  failed: '1    a service failed (named, with its failed check and last log lines), or a runtime operation failed',
  usage: '2    bad usage, a bad stack file, or an environment problem (no engine, no permission)',
  bug: '70   unexpected error: a bug in hafen, please report it',
  interrupted: '130  interrupted (Ctrl-C, SIGTERM)',
} as const;

type ExitCodeKey = keyof typeof EXIT_CODES;

/** The tail of one command's help. */
export interface CommandHelp {
  env: readonly EnvironmentVariable[];
  /** Extra lines after the common exit codes (e.g. a container's own code). */
  exit?: readonly string[];
  /** Which of the common codes apply (default all). */
  codes?: readonly ExitCodeKey[];
  example: string;
}

// What each command reads, by what it does: load the stack file, reach a runtime, make networks, fetch images.
/** Issue 19: reaching a runtime on another host. */
const REMOTE: readonly EnvironmentVariable[] = ['HAFEN_HOST', 'HAFEN_SSH_COMMAND', 'HAFEN_REMOTE_COMMAND'];
const LOADS: readonly EnvironmentVariable[] = ['COMPOSE_FILE', 'COMPOSE_PATH_SEPARATOR', 'COMPOSE_PROJECT_NAME', 'HAFEN_PROJECT', 'COMPOSE_ENV_FILES', 'COMPOSE_DISABLE_ENV_FILE'];
const RUNS: readonly EnvironmentVariable[] = ['HAFEN_RUNTIME', 'HAFEN_ROOT', 'XDG_STATE_HOME', 'DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'NO_COLOR', ...REMOTE];
const PROJECT = [...LOADS, ...RUNS];
const CREATES: readonly EnvironmentVariable[] = [...PROJECT, 'HAFEN_PUBLISH_ALL', 'HAFEN_SUBNET_POOL', 'HAFEN_CGROUP_PARENT'];
const FETCHES: readonly EnvironmentVariable[] = ['HAFEN_MAX_IMAGE_BYTES', 'HAFEN_MAX_LAYER_BYTES', 'HAFEN_INSECURE_REGISTRIES', 'DOCKER_CONFIG'];
const IMAGES: readonly EnvironmentVariable[] = ['HAFEN_RUNTIME', 'HAFEN_ROOT', 'DOCKER_HOST', 'DOCKER_TLS_VERIFY'];
/** Commands that run nothing and fail only on bad usage. */
const QUIET_CODES: readonly ExitCodeKey[] = ['ok', 'usage', 'bug'];

/** The help tail of every command, by its path under `stack` (`image save`); the root is ''. */
export const HELP_TEXT: Readonly<Record<string, CommandHelp>> = {
  '': { env: Object.keys(ENVIRONMENT) as EnvironmentVariable[], example: 'stack -f stack.yaml up -d && stack ps && stack down -v' },
  config: { env: [...LOADS, 'HAFEN_PUBLISH_ALL', 'HAFEN_INSECURE_REGISTRIES'], codes: QUIET_CODES, example: 'stack config -q && stack config --json' },
  plan: { env: [...PROJECT, 'HAFEN_PUBLISH_ALL'], example: 'stack plan --dot | dot -Tsvg > plan.svg' },
  up: { env: [...CREATES, ...FETCHES, 'SSH_AUTH_SOCK'], exit: ['N    with --exit-code-from SERVICE: that service\'s exit code'], example: 'stack up -d --wait api' },
  down: { env: PROJECT, example: 'stack -p shop down -v --remove-orphans' },
  ps: { env: PROJECT, example: 'stack ps --json' },
  logs: { env: PROJECT, example: 'stack logs -f --tail 20 api' },
  exec: { env: PROJECT, exit: ['N    the command\'s own exit code'], example: 'stack exec db psql -U postgres' },
  run: { env: [...CREATES, ...FETCHES], exit: ['N    the command\'s own exit code'], example: 'stack run --rm -p 9229:9229 -v ./src:/app/src api npm test' },
  port: { env: PROJECT, example: 'stack port web 80' },
  start: { env: CREATES, example: 'stack start api' },
  stop: { env: PROJECT, example: 'stack stop -t 5 worker' },
  restart: { env: CREATES, example: 'stack restart api' },
  kill: { env: PROJECT, example: 'stack kill -s SIGTERM worker' },
  build: { env: [...PROJECT, ...FETCHES, 'SSH_AUTH_SOCK'], example: 'stack build --no-cache api' },
  pull: { env: [...PROJECT, ...FETCHES], example: 'stack pull db cache' },
  images: { env: PROJECT, example: 'stack images --format json' },
  rmi: { env: IMAGES, example: 'stack rmi shop-api:latest' },
  prune: { env: IMAGES, example: 'stack prune --all' },
  image: { env: IMAGES, codes: QUIET_CODES, example: 'stack image save -o api.tar shop-api' },
  'image save': { env: IMAGES, example: 'stack image save --format oci -o ./api-layout shop-api:latest' },
  'image load': { env: [...IMAGES, 'HAFEN_MAX_IMAGE_BYTES', 'HAFEN_MAX_LAYER_BYTES'], example: 'stack image load -t api:test api.tar' },
  'image ls': { env: IMAGES, example: 'stack image ls --json' },
  dash: { env: PROJECT, example: 'stack dash' },
  version: { env: [], codes: QUIET_CODES, example: 'stack version --format json' },
  help: { env: [], codes: QUIET_CODES, example: 'stack help up' },
  completion: { env: [], codes: QUIET_CODES, example: 'source <(stack completion bash)' },
  __complete: { env: [...LOADS, ...RUNS], codes: ['ok'], example: 'stack __complete services' },
  // Commands being added alongside (issue 14); an entry here costs nothing until the command lands.
  ls: { env: ['HAFEN_ROOT', 'DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'HAFEN_RUNTIME'], example: 'stack ls --all --format json' },
  top: { env: PROJECT, example: 'stack top api' },
  cp: { env: PROJECT, example: 'stack cp api:/app/log.txt ./log.txt' },
  pause: { env: PROJECT, example: 'stack pause worker' },
  unpause: { env: PROJECT, example: 'stack unpause worker' },
  wait: { env: PROJECT, exit: ['N    the first container\'s exit code'], example: 'stack wait migrate' },
  events: { env: PROJECT, example: 'stack events --json' },
  stats: { env: PROJECT, example: 'stack stats --no-stream' },
  // Compose's rm, create and scale (cli-gaps).
  rm: { env: PROJECT, example: 'stack rm -f -s worker' },
  create: { env: [...CREATES, ...FETCHES], example: 'stack create --build api' },
  scale: { env: [...CREATES, ...FETCHES], example: 'stack scale worker=3 api=2' },
  // Issue 18, push.
  push: { env: [...PROJECT, 'HAFEN_INSECURE_REGISTRIES', 'DOCKER_CONFIG', 'HAFEN_PUSH_CHUNK_SIZE'], example: 'stack push --registry registry.example.com:5000 api worker' },
  // Issue 19: the remote ends of HAFEN_HOST=ssh://….
  system: { env: [], codes: QUIET_CODES, example: 'ssh vm hafen system dial-stdio' },
  'system dial-stdio': { env: ['HAFEN_ROOT', 'HAFEN_SUBNET_POOL', 'HAFEN_CGROUP_PARENT'], example: 'ssh vm hafen system dial-stdio' },
  'system exec-attach': { env: ['HAFEN_ROOT'], exit: ['N    the command\'s own exit code'], example: 'ssh vm hafen system exec-attach --project shop --container shop-api-1 --spec eyJjb21tYW5kIjpbInNoIl19' },
  'system run-attach': { env: ['HAFEN_ROOT'], exit: ['N    the container\'s exit code'], example: 'ssh vm hafen system run-attach --project shop --container shop-api-run-1a2b3c' },
  'system copy-out': { env: ['HAFEN_ROOT'], exit: ['1    the copy failed (its error on stderr)'], example: 'ssh vm hafen system copy-out --project shop --container shop-api-1 --src /app/log.txt' },
  'system copy-in': { env: ['HAFEN_ROOT'], exit: ['1    the copy failed (its error on stderr)'], example: 'ssh vm hafen system copy-in --project shop --container shop-api-1 --dest /app --name conf' },
  'system agent-socket': { env: ['SSH_AUTH_SOCK'], example: 'ssh vm hafen system agent-socket' },
  'system relay': { env: [], exit: ['0    the ssh connection that ran it ended', '1    the bridge has no address here, or a port is taken'], example: 'ssh vm hafen system relay --bridge hf-1a2b3c4d5e6f --ports 41234' },
  // Issue 20, snapshots and resets.
  snapshot: { env: PROJECT, example: 'stack snapshot seeded db' },
  'snapshot ls': { env: PROJECT, example: 'stack snapshot ls --format json' },
  'snapshot rm': { env: PROJECT, example: 'stack snapshot rm seeded' },
  reset: { env: [...CREATES], example: 'stack reset seeded db' },
};

/** The path of a command under the root, as HELP_TEXT keys it: `up`, `image save`; '' for the root. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The text after a command's own help. */
export function renderHelpTail(help: CommandHelp): string {
  const width = Math.max(0, ...help.env.map((n) => n.length));
  const env = help.env.length
    ? ['Environment:', ...help.env.map((n) => `  ${n.padEnd(width)}  ${ENVIRONMENT[n]}`), '']
    : [];
  const codes = (help.codes ?? (Object.keys(EXIT_CODES) as ExitCodeKey[])).map((k) => `  ${EXIT_CODES[k]}`);
  return ['', ...env, 'Exit codes:', ...codes, ...(help.exit ?? []).map((l) => `  ${l}`), '', 'Example:', `  $ ${help.example}`].join('\n');
}

/** Every command of the program, the root and subcommands included, depth first. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** Adds each command's environment, exit codes and example after its help; a command without an entry gets none (the test names it). */
export function attachHelpText(program: Command): void {
  for (const command of allCommands(program)) {
    const help = HELP_TEXT[commandPath(command)];
    if (help) command.addHelpText('after', renderHelpTail(help));
  }
}
