/**
 * Reading a container's log: the launcher appends `<RFC3339Nano UTC> <stdout|stderr> <text>` lines
 * to FILE and rotates it to FILE.1 past its size cap. `readLogs` yields the lines of both (FILE.1
 * first), filtered by `since` and cut to the last `tail`, then, when following, new lines as they
 * are written (across rotations) until the container is over or the signal aborts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
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

/** Bytes read from a log file at a time: a log may be far bigger than a string can be (json-file has no cap). */
const CHUNK_BYTES = 1024 * 1024;

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

/** The lines of a whole file, read a chunk at a time (none when it is gone). */
function* fileLines(file: string): Generator<string> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return;
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (let pos = 0; ; ) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      const parts = (rest + decoder.write(buf.subarray(0, n))).split('\n');
      rest = parts.pop()!;
      yield* parts;
    }
    rest += decoder.end();
    if (rest) yield rest;
  } finally {
    fs.closeSync(fd);
  }
}

/** An open log file followed by offset; reopened when the launcher rotates it. */
class Follower {
  private fd: number | undefined;
  private ino = 0;
  private pos = 0;
  private rest = '';
  private decoder = new StringDecoder('utf8');
  private readonly buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** True when the last read stopped at CHUNK_BYTES with more to read. */
  more = false;

  constructor(private readonly file: string) {
    this.open();
  }

  private open(): void {
    try {
      this.fd = fs.openSync(this.file, 'r');
      this.ino = fs.fstatSync(this.fd).ino;
      this.pos = 0;
      this.decoder = new StringDecoder('utf8');
    } catch {
      this.fd = undefined;
    }
  }

  /** Complete lines of up to one chunk from the current offset; sets `more` when the chunk was full. */
  private drain(): string[] {
    this.more = false;
    if (this.fd === undefined) return [];
    const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
    if (n <= 0) return [];
    this.pos += n;
    this.more = n === this.buf.length;
    const parts = (this.rest + this.decoder.write(this.buf.subarray(0, n))).split('\n');
    this.rest = parts.pop()!;
    return parts;
  }

  /** New complete lines since the last call (a chunk's worth: see `more`), following a rotation to the new file. */
  read(): string[] {
    const lines = this.drain();
    if (this.more) return lines;
    let current: number | undefined;
    try {
      current = fs.statSync(this.file).ino;
    } catch {
      current = undefined;
    }
    if (current !== undefined && current !== this.ino) {
      // Whatever the old file got after our last read is still to be read through our descriptor.
      for (let more = true; more; more = this.more) lines.push(...this.drain());
      const last = this.rest + this.decoder.end();
      if (last) lines.push(last);
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
    while (this.more) lines.push(...this.read());
    const last = this.rest + this.decoder.end();
    if (last) lines.push(last);
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
    // What is there now: the rotated files, then the live one (through the follower's descriptor when following).
    const files = rotatedFiles(source.file);
    if (!follower) files.push(source.file);
    function* backlog(): Generator<LogLine> {
      for (const f of files) for (const text of fileLines(f)) {
        const l = parseLogLine(text);
        if (keep(l)) yield l;
      }
      if (!follower) return;
      do {
        for (const text of follower.read()) {
          const l = parseLogLine(text);
          if (keep(l)) yield l;
        }
      } while (follower.more);
    }
    let lines: Iterable<LogLine> = backlog();
    if (opts.tail !== undefined) lines = lastOf(lines, opts.tail);
    let n = 0;
    for (const line of lines) {
      if ((++n & 1023) === 0 && opts.signal?.aborted) return;
      yield line;
    }
    if (!follower) return;
    for (;;) {
      if (opts.signal?.aborted) return;
      const over = !source.running() || (until !== undefined && Date.now() > until);
      const texts = over ? follower.finish() : follower.read();
      for (const line of texts.map(parseLogLine).filter(keep)) yield line;
      if (over) return;
      if (!follower.more) await nextWake(path.dirname(source.file), 250, opts.signal);
    }
  } finally {
    follower?.close();
  }
}

/** The last `count` items of `items`, holding no more than twice that many at once. */
function lastOf<T>(items: Iterable<T>, count: number): T[] {
  if (count <= 0) return [];
  let kept: T[] = [];
  for (const item of items) {
    kept.push(item);
    if (kept.length >= 2 * count) kept = kept.slice(-count);
  }
  return kept.slice(-count);
}
