import { ExitCode, StackError } from '../../../errors.js';

/** Where a build step is: its number in the build and its place in the Dockerfile. */
export interface StepPlace {
  /** 1-based, over every step of the stages built (FROM lines count, as BuildKit counts them). */
  index: number;
  total: number;
  /** The stage's name in messages. */
  stage: string;
  file: string;
  line: number;
  /** The instruction as written. */
  source: string;
}

/**
 * A build step that failed while executing (a RUN that exited non-zero, a COPY that could not
 * write): names the step, the Dockerfile line, and for a RUN the command, its exit code and
 * the last lines of its output.
 */
export class BuildError extends StackError {
  readonly step: StepPlace;
  readonly command: string[] | undefined;
  readonly commandExitCode: number | undefined;
  readonly outputTail: readonly string[];

  constructor(step: StepPlace, reason: string, opts: { command?: string[]; exitCode?: number; outputTail?: string[]; cause?: unknown } = {}) {
    const tail = opts.outputTail?.length ? `\n${opts.outputTail.map((l) => `  | ${l}`).join('\n')}` : '';
    super(
      'E_BUILD',
      `step ${step.index}/${step.total} [${step.stage}] ${step.source} (${step.file}:${step.line}): ${reason}${tail}`,
      ExitCode.serviceFailed,
      { cause: opts.cause },
    );
    this.step = step;
    this.command = opts.command;
    this.commandExitCode = opts.exitCode;
    this.outputTail = opts.outputTail ?? [];
  }
}
