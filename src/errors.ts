/**
 * Errors with stable codes. Only the CLI's top level prints and exits; everything else throws these.
 * An expected error prints as its message alone; anything else is a bug and prints with its stack.
 */

/** Where in a stack file something is: file, 1-based line and column, and the key path. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
  /** Dotted key path, e.g. `services.api.depends_on.dbb`; empty for the document itself. */
  path: string;
}

/** Exit codes users and scripts rely on (DESIGN.md, "The command line"). */
export const ExitCode = {
  ok: 0,
  serviceFailed: 1,
  usage: 2,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type StackErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_CONFIG_NOT_FOUND'
  | 'E_CYCLE'
  | 'E_READINESS'
  | 'E_RUNTIME'
  | 'E_BUILD'
  | 'E_LAYER'
  | 'E_INTERRUPTED'
  | 'E_SUPERVISOR'
  | 'E_ENGINE'
  | 'E_STATE'
  // issue 17: a container of a user without root and no delegated cgroup (stats, pause).
  | 'E_NO_CGROUP'
  // issue 19: the embedded runtime on another host over ssh (connection, auth, host key, install).
  | 'E_REMOTE';

/** Base of every expected failure. */
export class StackError extends Error {
  readonly code: StackErrorCode;
  readonly exitCode: ExitCode;
  constructor(code: StackErrorCode, message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** hafen's state folder cannot be made or written by this user (a read-only or foreign home): the machine's setup, not a bug. */
export class StateFolderError extends StackError {
  constructor(folder: string, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EROFS' ? 'read-only file system' : 'permission denied';
    super('E_STATE', `cannot create hafen's state folder ${folder}: ${why}; set HAFEN_ROOT to a folder you may write`, ExitCode.usage, { cause });
  }
}

/** A container engine that cannot be reached or used from here (no daemon, no permission): the machine's setup, not a bug. */
export class EngineUnreachableError extends StackError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_ENGINE', message, ExitCode.usage, options);
  }
}

/** Bad command-line usage. */
export class UsageError extends StackError {
  constructor(message: string) {
    super('E_USAGE', message, ExitCode.usage);
  }
}

/** One problem in a stack file, pinned to its place. */
export interface ConfigIssue {
  location: SourceLocation;
  message: string;
}

/** Formats one issue the way every config error reads: `file:line:col path: message`. */
export function formatIssue(issue: ConfigIssue): string {
  const { file, line, col, path } = issue.location;
  const where = `${file}:${line}:${col}`;
  return path ? `${where} ${path}: ${issue.message}` : `${where} ${issue.message}`;
}

/** A stack file that cannot be used; carries every problem found, first one first. */
export class ConfigError extends StackError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    if (issues.length === 0) throw new Error('ConfigError needs at least one issue');
    super('E_CONFIG', issues.map(formatIssue).join('\n'), ExitCode.usage);
    this.issues = issues;
  }
  /** The first issue's place, for callers and tests. */
  get location(): SourceLocation {
    return this.issues[0]!.location;
  }
}

/** No stack file given and none of the default names exists. */
export class ConfigNotFoundError extends StackError {
  constructor(message: string) {
    super('E_CONFIG_NOT_FOUND', message, ExitCode.usage);
  }
}

/** A dependency cycle among services, named by its path (`api -> worker -> api`). */
export class CycleError extends StackError {
  readonly cycle: readonly string[];
  constructor(cycle: string[], location?: SourceLocation) {
    const path = cycle.join(' -> ');
    const msg = location
      ? formatIssue({ location, message: `dependency cycle: ${path}` })
      : `dependency cycle: ${path}`;
    super('E_CYCLE', msg, ExitCode.usage);
    this.cycle = cycle;
  }
}

/** A service that did not become ready: names it, the failed check, and its last log lines. */
export class ReadinessError extends StackError {
  readonly service: string;
  readonly check: string;
  /** How it failed, e.g. `exited with code 1 before it was ready`. */
  readonly reason: string;
  readonly logTail: readonly string[];
  constructor(service: string, check: string, reason: string, logTail: string[] = []) {
    const tail = logTail.length ? `\nlast log lines of ${service}:\n${logTail.map((l) => `  ${l}`).join('\n')}` : '';
    super('E_READINESS', `service ${service}: ${check} failed: ${reason}${tail}`, ExitCode.serviceFailed);
    this.service = service;
    this.check = check;
    this.reason = reason;
    this.logTail = logTail;
  }
}

/** The user interrupted (Ctrl-C, SIGTERM): what was running was let finish, nothing new was started. */
export class InterruptedError extends StackError {
  constructor(message = 'interrupted') {
    super('E_INTERRUPTED', message, ExitCode.interrupted);
  }
}

/** A runtime operation that failed; names the resource it was working on. */
export class RuntimeError extends StackError {
  readonly resource: string;
  constructor(resource: string, message: string, options?: { cause?: unknown }) {
    super('E_RUNTIME', `${resource}: ${message}`, ExitCode.serviceFailed, options);
    this.resource = resource;
  }
}

/**
 * What needs a container's cgroup (stats, pause, unpause) asked of one that has none: a user
 * without root with no cgroup delegated to it (issue 17). Says why and what to do, in one line.
 */
export class NoCgroupError extends StackError {
  constructor(container: string, what: string) {
    super(
      'E_NO_CGROUP',
      `container ${container}: cannot ${what}: it has no cgroup, as a user without root gets one only in a cgroup delegated to it (root: mkdir <hierarchy>/hafen-<uid> and chown it to you, or name one with HAFEN_CGROUP_PARENT), and none is`,
      ExitCode.serviceFailed,
    );
  }
}

// Snapshots and resets (issue 20).
/** A snapshot named that does not exist, or that does not hold what is asked of it: bad usage (exit 2). */
export class SnapshotError extends UsageError {}

/** The refusal of an unknown snapshot, naming the ones the project has (every runtime says it so). */
export function noSuchSnapshot(project: string, name: string, known: readonly string[]): SnapshotError {
  return new SnapshotError(`no snapshot ${JSON.stringify(name)} in project ${project}${known.length ? ` (there are: ${known.join(', ')})` : ' (it has none; take one with `stack snapshot NAME`)'}`);
}
