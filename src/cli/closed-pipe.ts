/**
 * `stack logs -f | head`: once the reader is gone, a write to stdout fails with EPIPE. Node ignores
 * SIGPIPE, so without this the failure surfaces as an unhandled 'error' event with a stack trace.
 * The CLI ends as Unix tools and Docker's Go CLI do when their reader leaves: at once, silently,
 * with the status of a death by SIGPIPE (128 + 13), which shells ignore without `pipefail`.
 */
export const CLOSED_PIPE_EXIT = 141;

/** Node's process.stdout / process.stderr, by file descriptor. */
export type StdFd = 1 | 2;

const NAMES = { 1: 'stdout', 2: 'stderr' } as const;

/** The descriptors whose Node stream exists (made by anyone: a command, commander, Ink). */
const made = new Set<StdFd>();
/** Whether endQuietlyOnClosedPipe watches the streams being made (else `made` knows nothing). */
let watching = false;

/** Ends the process as a closed pipe does (the reader of stdout or stderr left). */
export function exitOnClosedPipe(): never {
  process.exit(CLOSED_PIPE_EXIT);
}

function endQuietly(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exitOnClosedPipe();
  });
}

/**
 * Makes a closed stdout or stderr end the process quietly; any other stream error still throws.
 * Node makes process.stdout and stderr on first use, and for a pipe that loads node:net and
 * streams (issue 16: a tenth of a short command), so the handler is attached when a stream is
 * first made, not by making it here; writes that bypass the streams (std-write.ts) check EPIPE
 * themselves.
 */
export function endQuietlyOnClosedPipe(): void {
  if (watching) return;
  watching = true;
  for (const fd of [1, 2] as const) {
    const name = NAMES[fd];
    const found = Object.getOwnPropertyDescriptor(process, name);
    const get = found?.get;
    if (!get || !found.configurable) {
      // Not Node's lazy getter (an embedder's own stream): attach at once.
      made.add(fd);
      endQuietly(process[name]);
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: found.enumerable ?? true,
      get() {
        const stream = get.call(process) as NodeJS.WriteStream;
        if (!made.has(fd)) {
          made.add(fd);
          endQuietly(stream);
        }
        return stream;
      },
    });
  }
}

/**
 * Whether Node's stream for `fd` was made already (after endQuietlyOnClosedPipe; before it, always
 * true: nothing can tell). Writes then go through it, so they stay in order with its own.
 */
export function streamMade(fd: StdFd): boolean {
  return made.has(fd) || !watching;
}
