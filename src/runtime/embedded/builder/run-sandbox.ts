/**
 * What the builder needs to execute a RUN step: a command in its own namespaces on an overlay of
 * the image's layers, writing only into a fresh upper dir. The overlay is mounted inside the
 * sandbox's own mount namespace, so nothing stays mounted on the host when it ends.
 */

/** One RUN to execute. */
export interface RunRequest {
  /** Layer folders, top-most first (may be empty: the sandbox then stacks an empty one). */
  lowerDirs: string[];
  /** Empty folder that receives every change (it becomes the step's layer). */
  upperDir: string;
  /** overlayfs work folder, on the same filesystem as upperDir. */
  workDir: string;
  /** Empty folder to mount the root on (inside the sandbox's mount namespace). */
  targetDir: string;
  /** Host paths to bind read-only at the same place (a host-based image); [] otherwise. */
  hostPaths: string[];
  /** Extra binds: host file or folder → path in the container. */
  binds: { source: string; target: string; readOnly: boolean }[];
  /** The whole environment, `KEY=value`. */
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  argv: string[];
  /** `host` shares the host's network (the build default); `none` has loopback only. */
  network: 'host' | 'none';
  hostname: string;
  /** Each line of output (stdout and stderr together) as it comes. */
  onOutput?: (line: string) => void;
  signal?: AbortSignal;
}

/** How the command ended. */
export interface RunResult {
  /** The exit code, or 128 + signal number. */
  exitCode: number;
  /** The last lines of its output (at most 20). */
  outputTail: string[];
}

/** Runs build commands in isolation. */
export interface RunSandbox {
  run(req: RunRequest): Promise<RunResult>;
}

/** How many output lines a failure report keeps. */
export const OUTPUT_TAIL_LINES = 20;

/** Collects output (of one or more streams) into lines, keeping the last OUTPUT_TAIL_LINES and passing each on. */
export class OutputTail {
  private readonly lines: string[] = [];
  private readonly partial = new Map<string, string>();

  constructor(private readonly onLine?: (line: string) => void) {}

  /** Adds a chunk of the stream named `stream` (lines of different streams never mix). */
  push(chunk: Buffer | string, stream = 'out'): void {
    const parts = ((this.partial.get(stream) ?? '') + chunk.toString()).split('\n');
    this.partial.set(stream, parts.pop()!);
    for (const line of parts) this.add(line.replace(/\r$/, ''));
  }

  /** Flushes last lines without a newline and returns the tail. */
  end(): string[] {
    for (const rest of this.partial.values()) if (rest !== '') this.add(rest);
    this.partial.clear();
    return [...this.lines];
  }

  /** Adds one whole line (e.g. a launcher error). */
  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.shift();
    this.onLine?.(line);
  }
}
