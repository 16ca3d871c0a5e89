/**
 * The parsed Dockerfile: one typed instruction per logical line, arguments as written. Values that
 * Docker substitutes (ENV values, COPY paths, WORKDIR, ...) keep their quotes and `$vars` here;
 * resolveStages (resolve-stages.ts) gives them substituted, per stage, with ARG/ENV scoping.
 */
import type { Heredoc } from './heredoc.js';
import type { ParseWarning } from './dockerfile-lines.js';
import type { RunMount } from './run-mounts.js';

export type { Heredoc, ParseWarning, RunMount };

/** Where an instruction was written. */
export interface Located {
  /** 1-based line the instruction starts on. */
  line: number;
  /** 1-based last line (continuations and heredoc bodies included). */
  endLine: number;
  /** The instruction as written, continuation lines joined, trimmed (BuildKit's "original"). */
  source: string;
}

/** A command in exec form (JSON array, run as is) or shell form (run by the SHELL, `/bin/sh -c` by default). */
export type CommandLine = { form: 'exec'; args: string[] } | { form: 'shell'; command: string };

/** `KEY=value` as written. */
export interface KeyValue {
  key: string;
  value: string;
}

/** `FROM [--platform=P] image [AS name]`. */
export interface FromInstruction extends Located {
  kind: 'from';
  /** Image reference or earlier stage name, as written (may contain `$ARG`s). */
  image: string;
  /** `AS name`, lowercased as BuildKit does. */
  stageName?: string;
  platform?: string;
}

/** RUN's `--network`: the builder's default (the host's network for hafen builds), `host`, or `none` (loopback only). */
export type RunNetwork = 'default' | 'none' | 'host';

/** `RUN [--network=...] command`. */
export interface RunInstruction extends Located {
  kind: 'run';
  command: CommandLine;
  network?: RunNetwork;
  /** `--mount=type=secret|ssh,...` (run-mounts.ts). */
  mounts?: RunMount[];
  /** Heredoc bodies the command line opened (`RUN <<EOF`). */
  heredocs: Heredoc[];
}

/** Flags and operands shared by COPY and ADD. */
export interface CopyLike extends Located {
  /** Source paths or globs, as written. */
  sources: string[];
  /** Heredoc sources (`COPY <<EOF /dest`): a file named after the delimiter with the body as content. */
  inline: Heredoc[];
  /** Destination as written. */
  dest: string;
  chown?: string;
  chmod?: string;
  /** `--link`: accepted, and makes no difference to the result. */
  link: boolean;
}

/** `COPY [--from=stage|index|image] [--chown=] [--chmod=] [--link] src... dest`. */
export interface CopyInstruction extends CopyLike {
  kind: 'copy';
  from?: string;
}

/** `ADD [--chown=] [--chmod=] [--link] [--unpack=bool] src... dest` (local sources only). */
export interface AddInstruction extends CopyLike {
  kind: 'add';
  /** `--unpack`: whether local tar archives are extracted; undefined means yes (Docker's default for local files). */
  unpack?: boolean;
}

/** `ENV k=v ...` or the legacy `ENV k v`. */
export interface EnvInstruction extends Located {
  kind: 'env';
  pairs: KeyValue[];
}

/** One `name[=default]` of an ARG. */
export interface ArgDeclaration {
  name: string;
  /** Default as written; undefined when the ARG has none. */
  default?: string;
}

/** `ARG name[=default] ...`. */
export interface ArgInstruction extends Located {
  kind: 'arg';
  args: ArgDeclaration[];
}

/** `WORKDIR path`. */
export interface WorkdirInstruction extends Located {
  kind: 'workdir';
  path: string;
}

/** `USER user[:group]`. */
export interface UserInstruction extends Located {
  kind: 'user';
  user: string;
}

/** `EXPOSE port[/proto] ...` (ports or ranges, as written). */
export interface ExposeInstruction extends Located {
  kind: 'expose';
  ports: string[];
}

/** `CMD ...`. */
export interface CmdInstruction extends Located {
  kind: 'cmd';
  command: CommandLine;
}

/** `ENTRYPOINT ...`; `ENTRYPOINT []` clears it. */
export interface EntrypointInstruction extends Located {
  kind: 'entrypoint';
  command: CommandLine;
}

/** `LABEL k=v ...` (or legacy `LABEL k v`). */
export interface LabelInstruction extends Located {
  kind: 'label';
  labels: KeyValue[];
}

/**
 * A health check as the OCI/Docker image config holds it. Durations are nanoseconds, 0 meaning
 * "the runtime's default". `test` is `["NONE"]`, `["CMD", ...argv]` or `["CMD-SHELL", command]`.
 */
export interface HealthcheckConfig {
  test: string[];
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  startIntervalNs: number;
  retries: number;
}

/** `HEALTHCHECK NONE` or `HEALTHCHECK [--interval= --timeout= --start-period= --start-interval= --retries=] CMD ...`. */
export interface HealthcheckInstruction extends Located {
  kind: 'healthcheck';
  healthcheck: HealthcheckConfig;
}

/** `STOPSIGNAL signal`. */
export interface StopsignalInstruction extends Located {
  kind: 'stopsignal';
  signal: string;
}

/** `SHELL ["executable", "params"...]`. */
export interface ShellInstruction extends Located {
  kind: 'shell';
  shell: string[];
}

/** `VOLUME ["/a", "/b"]` or `VOLUME /a /b`. */
export interface VolumeInstruction extends Located {
  kind: 'volume';
  paths: string[];
}

/** `MAINTAINER name` (deprecated): sets the image's author, as Docker does. */
export interface MaintainerInstruction extends Located {
  kind: 'maintainer';
  maintainer: string;
}

/** Every instruction the builder supports. */
export type Instruction =
  | FromInstruction
  | RunInstruction
  | CopyInstruction
  | AddInstruction
  | EnvInstruction
  | ArgInstruction
  | WorkdirInstruction
  | UserInstruction
  | ExposeInstruction
  | CmdInstruction
  | EntrypointInstruction
  | LabelInstruction
  | HealthcheckInstruction
  | StopsignalInstruction
  | ShellInstruction
  | VolumeInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];

/** An instruction inside a stage (everything but FROM). */
export type StageInstruction = Exclude<Instruction, FromInstruction>;

/** A FROM and the instructions up to the next FROM. */
export interface ParsedStage {
  /** 0-based position, as `COPY --from=0` counts. */
  index: number;
  from: FromInstruction;
  instructions: StageInstruction[];
}

/** A whole parsed Dockerfile. */
export interface Dockerfile {
  /** The file name errors are reported against. */
  file: string;
  /** The escape character (`\` unless `# escape=\``). */
  escape: string;
  /** The `# syntax=` directive, if any; hafen's own parser is used regardless. */
  syntax?: string;
  /** Every instruction in order. */
  instructions: Instruction[];
  /** ARGs before the first FROM: usable in FROM lines, and in a stage once redeclared there. */
  globalArgs: ArgInstruction[];
  stages: ParsedStage[];
  warnings: ParseWarning[];
}
