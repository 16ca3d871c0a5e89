/**
 * Docker's log and exec streams: frames of `[stream, 0, 0, 0, size(4, big-endian)] payload` when
 * the container has no TTY, raw bytes when it has one; split into lines (with `timestamps`, each
 * line starts with an RFC 3339 time and a space).
 */
import type { LogLine } from '../runtime.js';

type StreamName = 'stdout' | 'stderr';

/** Splits a multiplexed byte stream into per-stream chunks, across arbitrary chunk boundaries. */
export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onChunk: (stream: StreamName, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const kind = this.pending[0];
      const data = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      this.onChunk(kind === 2 ? 'stderr' : 'stdout', data);
    }
  }
}

/** Collects chunks of one stream into whole lines (without the newline). */
export class LineSplitter {
  private partial = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(data: Buffer | string): void {
    const text = this.partial + data.toString();
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.onLine(line);
  }

  /** Emits what is left without a newline. */
  end(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = '';
  }
}

/** `2026-01-02T03:04:05.123456789Z text` as a LogLine. */
export function timestampedLine(stream: StreamName, raw: string): LogLine {
  const space = raw.indexOf(' ');
  const stamp = space < 0 ? raw : raw.slice(0, space);
  const ms = Date.parse(stamp);
  if (Number.isNaN(ms)) return { time: new Date().toISOString(), stream, text: raw };
  return { time: new Date(ms).toISOString(), stream, text: space < 0 ? '' : raw.slice(space + 1) };
}

/** A log reader: feed it bytes, it hands out LogLines; `tty` streams are not multiplexed. */
export function logParser(tty: boolean, onLine: (line: LogLine) => void): { push(chunk: Buffer): void; end(): void } {
  const splitters = {
    stdout: new LineSplitter((l) => onLine(timestampedLine('stdout', l.replace(/\r$/, '')))),
    stderr: new LineSplitter((l) => onLine(timestampedLine('stderr', l))),
  };
  const demux = new Demuxer((stream, data) => splitters[stream].push(data));
  return {
    push: (chunk) => (tty ? splitters.stdout.push(chunk) : demux.push(chunk)),
    end: () => {
      splitters.stdout.end();
      splitters.stderr.end();
    },
  };
}
