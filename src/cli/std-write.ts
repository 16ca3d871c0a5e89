/**
 * The CLI's writes to stdout and stderr (issue 16). Node's process.stdout on a pipe or socket is a
 * net.Socket, and making it loads node:net and the streams (a tenth of `stack ps`), so where the
 * descriptor is no terminal and no stream was made yet, text is written with fs.writeSync: the
 * same bytes, in the same order (Node writes stdio pipes and files synchronously on Linux too).
 * Once Node's stream exists (made by anyone), writes go through it, so they stay in order with its own.
 */
import { fstatSync, writeSync } from 'node:fs';
import { exitOnClosedPipe, streamMade, type StdFd } from './closed-pipe.js';
import type { OutputConfiguration } from 'commander';
import type { RenderTarget } from '../renderers/choose.js';

const streamOf = (fd: StdFd): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/** Whether a descriptor is a terminal, once known (it never changes). */
const terminal = new Map<StdFd, boolean>();

/** Linux's memory devices (/dev/null, /dev/zero, /dev/full): character devices that are no terminal. */
const MEMORY_DEVICES_MAJOR = 1;

/** Whether `fd` cannot be a terminal: a pipe, socket, file or /dev/null (another character device may be one). */
function neverTerminal(fd: StdFd): boolean {
  try {
    const st = fstatSync(fd);
    return !st.isCharacterDevice() || ((st.rdev >> 8) & 0xfff) === MEMORY_DEVICES_MAJOR;
  } catch {
    return false; // closed or odd: Node's stream decides, as without this module
  }
}

/** Whether `fd` is a terminal; Node's stream is asked (made) only for a character device. */
export function isTerminal(fd: StdFd): boolean {
  let known = terminal.get(fd);
  if (known === undefined) {
    known = !streamMade(fd) && neverTerminal(fd) ? false : Boolean(streamOf(fd).isTTY);
    terminal.set(fd, known);
  }
  return known;
}

/** Writes `text` to stdout (1) or stderr (2); a reader that left ends the process as closed-pipe.ts says. */
export function writeStd(fd: StdFd, text: string): void {
  if (streamMade(fd) || isTerminal(fd)) {
    streamOf(fd).write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') exitOnClosedPipe();
      // EAGAIN (a non-blocking descriptor that is full) or anything odd: Node's stream waits and reports as before.
      streamOf(fd).write(bytes.subarray(done));
      return;
    }
  }
}

/** Where progress is drawn or written: Node's stream on a terminal (the live renderer needs one), else plain writes. */
export function renderTarget(fd: StdFd): RenderTarget {
  return isTerminal(fd) ? streamOf(fd) : { write: (text: string) => writeStd(fd, text), isTTY: false };
}

/**
 * Colour by the common conventions alone (NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE), as commander
 * reads them: undefined when they say nothing and the terminal decides.
 */
function colorByEnvironment(env: NodeJS.ProcessEnv): boolean | undefined {
  if (env.NO_COLOR || env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  if (env.FORCE_COLOR || env.CLICOLOR_FORCE !== undefined) return true;
  return undefined;
}

/**
 * commander's questions about the output (help width, colours), answered as its defaults answer
 * them but without making a stream for a descriptor that is no terminal.
 */
export function helpLayout(env: NodeJS.ProcessEnv = process.env): Pick<OutputConfiguration, 'getOutHelpWidth' | 'getErrHelpWidth' | 'getOutHasColors' | 'getErrHasColors'> {
  // No width off a terminal: commander then takes its default (80), as its own answer makes it do
  // (its types say number; its code and its default answer allow undefined).
  const width = (fd: StdFd): number => (isTerminal(fd) ? streamOf(fd).columns : (undefined as unknown as number));
  const colors = (fd: StdFd): boolean => colorByEnvironment(env) ?? (isTerminal(fd) && Boolean(streamOf(fd).hasColors?.()));
  return { getOutHelpWidth: () => width(1), getErrHelpWidth: () => width(2), getOutHasColors: () => colors(1), getErrHasColors: () => colors(2) };
}
