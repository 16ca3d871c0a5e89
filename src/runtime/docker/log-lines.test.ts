import { describe, expect, it } from 'vitest';
import type { LogLine } from '../runtime.js';
import { logParser } from './log-lines.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('logParser', () => {
  it('demultiplexes frames split anywhere into timestamped lines per stream', () => {
    const lines: LogLine[] = [];
    const parser = logParser(false, (l) => lines.push(l));
    const bytes = Buffer.concat([
      frame(1, '2026-01-02T03:04:05.123456789Z hello\n2026-01-02T03:04:05.2Z wor'),
      frame(2, '2026-01-02T03:04:06Z oops\n'),
      frame(1, 'ld\n'),
    ]);
    for (let i = 0; i < bytes.length; i += 5) parser.push(bytes.subarray(i, i + 5));
    parser.end();
    expect(lines).toEqual([
      { time: '2026-01-02T03:04:05.123Z', stream: 'stdout', text: 'hello' },
      { time: '2026-01-02T03:04:06.000Z', stream: 'stderr', text: 'oops' },
      { time: '2026-01-02T03:04:05.200Z', stream: 'stdout', text: 'world' },
    ]);
  });

  it('reads a TTY container raw, all on stdout, without carriage returns', () => {
    const lines: LogLine[] = [];
    const parser = logParser(true, (l) => lines.push(l));
    parser.push(Buffer.from('2026-01-02T03:04:05Z a\r\n2026-01-02T03:04:05Z b'));
    parser.end();
    expect(lines.map((l) => `${l.stream} ${l.text}`)).toEqual(['stdout a', 'stdout b']);
  });
});
