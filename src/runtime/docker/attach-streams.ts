/**
 * This process's terminal wired to a hijacked Docker stream (an exec's, or a container's attach for
 * `stack run`): stdin piped in (its end closes the engine's side of stdin), output written out
 * (demultiplexed without a tty), with a tty the terminal raw and its size passed on at each resize;
 * all undone when the stream ends.
 */
import { Demuxer } from './log-lines.js';

/** How the engine resizes the pseudo-terminal (an exec's or a container's). */
export type ResizeTerminal = (size: { h: number; w: number }) => Promise<unknown>;

/**
 * Relays between this process's stdio and `stream` until the stream ends; the terminal's size goes
 * to the engine once `running` resolves (a container attached before its start has no pty before).
 */
export async function relayTerminal(stream: NodeJS.ReadWriteStream, tty: boolean, resizeTo: ResizeTerminal, running: Promise<unknown> = Promise.resolve()): Promise<void> {
  const stdin = process.stdin;
  const raw = tty && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const resize = (): void => void resizeTo({ h: process.stdout.rows, w: process.stdout.columns }).catch(() => undefined);
  if (tty && process.stdout.isTTY) {
    void running.then(resize, () => undefined);
    process.stdout.on('resize', resize);
  }
  stdin.pipe(stream);
  const demux = new Demuxer((s, data) => (s === 'stderr' ? process.stderr : process.stdout).write(data));
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => (tty ? process.stdout.write(chunk) : demux.push(chunk)));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  } finally {
    stdin.unpipe(stream);
    stdin.pause();
    process.stdout.off('resize', resize);
    if (raw) stdin.setRawMode(false);
  }
}
