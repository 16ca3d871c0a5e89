/**
 * Reading a container's log: the launcher appends `<RFC3339Nano UTC> <stdout|stderr> <text>` lines
 * to FILE and rotates it to FILE.1 past its size cap. `readLogs` yields the lines of both (FILE.1
 * first), filtered by `since` and cut to the last `tail`, then, when following, new lines as they
 * are written (across rotations) until the container is over or the signal aborts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LogLine, LogOptions } from '../../runtime.js';

/** Parses one log line; undefined for anything else. */
export function parseLogLine(line: string): LogLine | undefined {
  // A container with a tty writes CRLF line ends: the CR is the terminal's, not the text's.
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (stdout|stderr) ?(.*?)\r?$/.exec(line);
  return m ? { time: m[1]!, stream: m[2] as LogLine['stream'], text: m[3]! } : undefined;
}

/** A log time (nanoseconds) as epoch milliseconds. */
export function logTimeMs(time: string): number {
  const dot = time.indexOf('.');
  return Date.parse(dot < 0 ? time : `${time.slice(0, Math.min(dot + 4, time.length - 1))}Z`);
}

/** `since` (ISO time or epoch ms) as epoch ms; undefined when not given. */
export function sinceMs(since: LogOptions['since']): number | undefined {
  if (since === undefined) return undefined;
  const ms = typeof since === 'number' ? since : Date.parse(since);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Splits text into complete lines, returning them and the unfinished rest. */
function splitLines(text: string): { lines: string[]; rest: string } {
  const parts = text.split('\n');
  const rest = parts.pop()!;
  return { lines: parts, rest };
}

/** The rotated files of `file` (FILE.N … FILE.1), oldest first: max-file may keep more than one. */
export function rotatedFiles(file: string): string[] {
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return [];
  }
  const numbers = names.flatMap((n) => {
    const m = n.startsWith(`${base}.`) ? /^\d+$/.exec(n.slice(base.length + 1)) : null;
    return m ? [Number(m[0])] : [];
  });
  return numbers.sort((a, b) => b - a).map((n) => `${file}.${n}`);
}

function readFileIfAny(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** An open log file followed by offset; reopened when the launcher rotates it. */
class Follower {
  private fd: number | undefined;
  private ino = 0;
  private pos = 0;
  private rest = '';

  constructor(private readonly file: string) {
    this.open();
  }

  private open(): void {
    try {
      this.fd = fs.openSync(this.file, 'r');
      this.ino = fs.fstatSync(this.fd).ino;
      this.pos = 0;
    } catch {
      this.fd = undefined;
    }
  }

  private drain(): string[] {
    if (this.fd === undefined) return [];
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(this.fd, buf, 0, buf.length, this.pos);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      this.pos += n;
    }
    const { lines, rest } = splitLines(this.rest + Buffer.concat(chunks).toString('utf8'));
    this.rest = rest;
    return lines;
  }

  /** New complete lines since the last call, following a rotation to the new file. */
  read(): string[] {
    const lines = this.drain();
    let current: number | undefined;
    try {
      current = fs.statSync(this.file).ino;
    } catch {
      current = undefined;
    }
    if (current !== undefined && current !== this.ino) {
      if (this.rest) lines.push(this.rest);
      this.rest = '';
      this.close();
      this.open();
      lines.push(...this.drain());
    }
    return lines;
  }

  /** Whatever is left, the unfinished last line included. */
  finish(): string[] {
    const lines = this.read();
    if (this.rest) lines.push(this.rest);
    this.rest = '';
    return lines;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Resolves after `ms`, on a change in `dir`, or on abort, whichever comes first. */
function nextWake(dir: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    const done = (): void => {
      clearTimeout(timer);
      watcher?.close();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    try {
      watcher = fs.watch(dir, done);
      watcher.on('error', done);
    } catch {
      // The folder is gone: the timer wakes us, and the caller finds the container over.
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** How the reader learns that no more lines will come. */
export interface LogSource {
  file: string;
  /** True while the container may still write. */
  running(): boolean;
}

/** The log lines of a container (see the module comment). */
export async function* readLogs(source: LogSource, opts: LogOptions = {}): AsyncGenerator<LogLine> {
  const since = sinceMs(opts.since);
  const until = sinceMs(opts.until);
  const keep = (l: LogLine | undefined): l is LogLine =>
    l !== undefined && (since === undefined || logTimeMs(l.time) >= since) && (until === undefined || logTimeMs(l.time) <= until);
  const follower = opts.follow ? new Follower(source.file) : undefined;
  try {
    const text = rotatedFiles(source.file).map(readFileIfAny).join('') + (follower ? '' : readFileIfAny(source.file));
    let lines = text.split('\n').filter(Boolean);
    if (follower) lines.push(...follower.read());
    let parsed = lines.map(parseLogLine).filter(keep);
    if (opts.tail !== undefined) parsed = opts.tail > 0 ? parsed.slice(-opts.tail) : [];
    for (const line of parsed) {
      if (opts.signal?.aborted) return;
      yield line;
    }
    if (!follower) return;
    for (;;) {
      if (opts.signal?.aborted) return;
      const over = !source.running() || (until !== undefined && Date.now() > until);
      lines = over ? follower.finish() : follower.read();
      for (const line of lines.map(parseLogLine).filter(keep)) yield line;
      if (over) return;
      await nextWake(path.dirname(source.file), 250, opts.signal);
    }
  } finally {
    follower?.close();
  }
}
