import { ExitCode, StackError } from '../../../errors.js';

/**
 * A Dockerfile that cannot be parsed or built as written, pinned to its place:
 * `<file>:<line>: <message>` (or `<file>: <message>` when no single line is at fault).
 */
export class DockerfileError extends StackError {
  readonly file: string;
  /** 1-based line of the instruction at fault; undefined for whole-file problems (e.g. an unknown target). */
  readonly line: number | undefined;
  /** The message without the location prefix. */
  readonly detail: string;
  constructor(file: string, line: number | undefined, detail: string, options?: { cause?: unknown }) {
    super('E_BUILD', line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`, ExitCode.usage, options);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}
