/**
 * `stack logs -f | head`: once the reader is gone, a write to stdout fails with EPIPE. Node ignores
 * SIGPIPE, so without this the failure surfaces as an unhandled 'error' event with a stack trace.
 * The CLI ends as Unix tools and Docker's Go CLI do when their reader leaves: at once, silently,
 * with the status of a death by SIGPIPE (128 + 13), which shells ignore without `pipefail`.
 */
export const CLOSED_PIPE_EXIT = 141;

/** Makes a closed stdout or stderr end the process quietly; any other stream error still throws. */
export function endQuietlyOnClosedPipe(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(CLOSED_PIPE_EXIT);
    });
  }
}
