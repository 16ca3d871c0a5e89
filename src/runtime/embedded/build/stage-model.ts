/**
 * What resolveStages gives the builder: per stage, each instruction with its arguments substituted
 * and the state it runs in, and the image config the stage ends with. Field names follow the
 * OCI/Docker image config so the builder can write it out as is.
 */
import type { HealthcheckConfig, RunMount, RunNetwork } from './instructions.js';

/** The part of an image's config a Dockerfile reads and writes. */
export interface ImageConfig {
  /** `KEY=value`, in order (ENV only: ARG values never reach the image). */
  env: string[];
  /** Absolute, or '' when unset (then `/`). */
  workingDir: string;
  /** '' when unset (then root). */
  user: string;
  /** Undefined when unset; `[]` is an empty CMD. */
  cmd?: string[];
  entrypoint?: string[];
  /** `port/proto` keys (`80/tcp`), sorted. */
  exposedPorts: string[];
  /** Sorted. */
  volumes: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  healthcheck?: HealthcheckConfig;
  /** The SHELL for shell-form commands; undefined means `["/bin/sh", "-c"]`. */
  shell?: string[];
  /** Triggers from a base image; hafen builds refuse images that have any. */
  onBuild?: string[];
  /** Set by MAINTAINER (the config's `author`, not a label, as Docker does). */
  author?: string;
}

/** Where a stage starts from. */
export type StageBase =
  | { kind: 'scratch' }
  /** An image reference (registry name, `host`, `docker-archive:PATH`, `oci:PATH`), after global ARG substitution. */
  | { kind: 'image'; ref: string }
  /** An earlier stage of the same Dockerfile. */
  | { kind: 'stage'; index: number };

/** Where COPY takes its files from. */
export type CopySource = { kind: 'context' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

/** Fields every step carries: where it was written, for progress lines and errors. */
export interface StepBase {
  line: number;
  endLine: number;
  /** The instruction as written. */
  source: string;
}

/** A file the step needs that is not in any layer (a heredoc body). */
export interface InlineFile {
  /** For RUN: absolute path where it is mounted read-only; for COPY/ADD: the file name (the heredoc delimiter). */
  path: string;
  content: string;
  mode: number;
}

/** RUN: what to execute and in which environment. */
export interface RunStep extends StepBase {
  kind: 'run';
  /** The full argv: exec form as written, shell form prefixed with the SHELL (`/bin/sh -c`). */
  argv: string[];
  /** The environment the command sees: the image's ENV, then ARG values in scope, `KEY=value` in order. */
  env: string[];
  /** Proxy variables from build args (`http_proxy`, ...): passed to the command but, as in Docker, not part of the cache key. */
  proxyEnv: string[];
  network?: RunNetwork;
  /** Secret (and ssh) mounts: given to the command, never part of the layer. */
  mounts?: RunMount[];
  /** USER in effect ('' = root). */
  user: string;
  /** WORKDIR in effect. */
  workdir: string;
  /** Heredoc scripts to mount (a single `#!` heredoc is run from /dev/pipes/NAME). */
  files: InlineFile[];
}

/** COPY or ADD with everything substituted; copy-sources.ts expands the sources against a file listing. */
export interface CopyStep extends StepBase {
  kind: 'copy' | 'add';
  from: CopySource;
  /** Source paths or Go-style globs, relative to the source root (a leading `/` means the root). */
  sources: string[];
  /** Heredoc sources: files to create, named after their delimiter. */
  inline: InlineFile[];
  /** Absolute destination; ends with `/` when it names a directory. */
  dest: string;
  chown?: string;
  /** `--chmod`, as a mode number. */
  chmod?: number;
  /** ADD only: whether local tar archives are extracted (Docker's default: yes). */
  unpack: boolean;
  link: boolean;
  user: string;
  workdir: string;
}

/** Every other instruction: it changes only the config, and the step says how. */
export type ConfigStep = StepBase &
  (
    | { kind: 'env'; pairs: [string, string][] }
    | { kind: 'arg'; args: { name: string; value?: string }[] }
    | { kind: 'workdir'; path: string }
    | { kind: 'user'; user: string }
    | { kind: 'expose'; ports: string[] }
    | { kind: 'cmd'; cmd: string[] }
    | { kind: 'entrypoint'; entrypoint?: string[] }
    | { kind: 'label'; labels: [string, string][] }
    | { kind: 'healthcheck'; healthcheck: HealthcheckConfig }
    | { kind: 'stopsignal'; signal: string }
    | { kind: 'shell'; shell: string[] }
    | { kind: 'volume'; paths: string[] }
    | { kind: 'maintainer'; maintainer: string }
  );

/** One resolved instruction. */
export type Step = RunStep | CopyStep | ConfigStep;

/** A stage, resolved. */
export interface Stage {
  index: number;
  /** `AS name`, lowercased. */
  name?: string;
  /** Its name in messages: the AS name, or `stage-N`. */
  displayName: string;
  /** Line of its FROM. */
  line: number;
  base: StageBase;
  /** `--platform`, substituted. */
  platform?: string;
  /** Indexes of stages this one needs (its base and COPY --from), ascending. */
  dependsOn: number[];
  /** Images COPY --from names that are not stages. */
  copyFromImages: string[];
  /** Whether building the target needs this stage; unneeded stages are not resolved (steps empty). */
  needed: boolean;
  steps: Step[];
  /** The image config after the last step (empty when unneeded). */
  config: ImageConfig;
}

/** A warning about a Dockerfile that still builds. */
export interface BuildWarning {
  line?: number;
  message: string;
}

/** resolveStages' answer. */
export interface ResolvedBuild {
  stages: Stage[];
  /** Index of the stage to build. */
  target: number;
  /** Needed stages in an order that builds dependencies first. */
  order: number[];
  warnings: BuildWarning[];
}
