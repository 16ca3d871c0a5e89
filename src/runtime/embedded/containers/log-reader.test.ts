import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../runtime.js';
import { logTimeMs, parseLogLine, readLogs } from './log-reader.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-logs-'));
  file = path.join(dir, 'container.log');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const line = (sec: number, stream: string, text: string) => `2024-05-01T10:00:${String(sec).padStart(2, '0')}.123456789Z ${stream} ${text}\n`;

async function collect(it: AsyncIterable<LogLine>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(`${l.stream}:${l.text}`);
  return out;
}

describe('parseLogLine', () => {
  it('reads the CRLF line ends of a container with a tty as plain lines', () => {
    expect(parseLogLine('2024-05-01T10:00:00Z stdout tty=yes\r')).toEqual({ time: '2024-05-01T10:00:00Z', stream: 'stdout', text: 'tty=yes' });
  });
  it('reads the launcher format, keeping the text as written', () => {
    expect(parseLogLine('2024-05-01T10:00:00.123456789Z stderr  two  spaces')).toEqual({ time: '2024-05-01T10:00:00.123456789Z', stream: 'stderr', text: ' two  spaces' });
    expect(parseLogLine('2024-05-01T10:00:00.123456789Z stdout ')).toMatchObject({ text: '' });
    expect(parseLogLine('garbage')).toBeUndefined();
    expect(logTimeMs('2024-05-01T10:00:00.123456789Z')).toBe(Date.parse('2024-05-01T10:00:00.123Z'));
  });
});

describe('readLogs', () => {
  it('reads the rotated file first, then filters by since and cuts to the tail', async () => {
    fs.writeFileSync(`${file}.1`, line(1, 'stdout', 'one') + line(2, 'stderr', 'two'));
    fs.writeFileSync(file, line(3, 'stdout', 'three') + line(4, 'stdout', 'four'));
    const source = { file, running: () => false };
    expect(await collect(readLogs(source))).toEqual(['stdout:one', 'stderr:two', 'stdout:three', 'stdout:four']);
    expect(await collect(readLogs(source, { tail: 2 }))).toEqual(['stdout:three', 'stdout:four']);
    expect(await collect(readLogs(source, { tail: 0 }))).toEqual([]);
    expect(await collect(readLogs(source, { since: '2024-05-01T10:00:02Z' }))).toEqual(['stderr:two', 'stdout:three', 'stdout:four']);
    expect(await collect(readLogs(source, { since: Date.parse('2024-05-01T10:00:04Z') }))).toEqual(['stdout:four']);
  });

  it('stops at until (logs --until), with since and tail applied to what is before it; a follow past until ends', async () => {
    fs.writeFileSync(file, line(1, 'stdout', 'one') + line(2, 'stdout', 'two') + line(3, 'stdout', 'three'));
    const source = { file, running: () => true };
    expect(await collect(readLogs({ ...source, running: () => false }, { until: '2024-05-01T10:00:02.5Z' }))).toEqual(['stdout:one', 'stdout:two']);
    expect(await collect(readLogs(source, { until: Date.parse('2024-05-01T10:00:02.5Z'), since: '2024-05-01T10:00:02Z' }))).toEqual(['stdout:two']);
    expect(await collect(readLogs(source, { until: '2024-05-01T10:00:03.5Z', tail: 1 }))).toEqual(['stdout:three']);
    expect(await collect(readLogs(source, { follow: true, until: '2024-05-01T10:00:02.5Z' }))).toEqual(['stdout:one', 'stdout:two']);
  });

  it('follows new lines, across a rotation, until the container is over', async () => {
    fs.writeFileSync(file, line(1, 'stdout', 'first'));
    let running = true;
    const seen: string[] = [];
    const done = (async () => {
      for await (const l of readLogs({ file, running: () => running }, { follow: true })) seen.push(l.text);
    })();
    const until = async (n: number) => {
      for (let i = 0; seen.length < n && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(1);
    fs.appendFileSync(file, line(2, 'stdout', 'second'));
    await until(2);
    fs.appendFileSync(file, line(3, 'stdout', 'third'));
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, line(4, 'stdout', 'fourth'));
    await until(4);
    fs.appendFileSync(file, line(5, 'stdout', 'last, partial').trimEnd());
    running = false;
    await done;
    expect(seen).toEqual(['first', 'second', 'third', 'fourth', 'last, partial']);
  });

  it('stops following when aborted', async () => {
    fs.writeFileSync(file, line(1, 'stdout', 'only'));
    const ac = new AbortController();
    const seen: string[] = [];
    setTimeout(() => ac.abort(), 100);
    for await (const l of readLogs({ file, running: () => true }, { follow: true, signal: ac.signal })) seen.push(l.text);
    expect(seen).toEqual(['only']);
  });

  it('reads a log many chunks long line by line, whole and followed, a character split between chunks included', async () => {
    // 40,000 lines of ~60 bytes (2.4 MB, more than two of the reader's 1 MiB chunks), each with a 3-byte character.
    const texts = Array.from({ length: 40_000 }, (_, i) => `n${i} \u20ac ${'x'.repeat(i % 7)}`);
    fs.writeFileSync(`${file}.1`, texts.slice(0, 15_000).map((t) => line(1, 'stdout', t)).join(''));
    fs.writeFileSync(file, texts.slice(15_000).map((t) => line(2, 'stderr', t)).join(''));
    const source = { file, running: () => false };
    const whole = (await collect(readLogs(source))).map((l) => l.slice(7));
    expect(whole).toEqual(texts);
    expect((await collect(readLogs(source, { follow: true }))).map((l) => l.slice(7))).toEqual(texts);
    expect((await collect(readLogs(source, { tail: 3 }))).map((l) => l.slice(7))).toEqual(texts.slice(-3));
  });
});
