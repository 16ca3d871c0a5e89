import { describe, expect, it } from 'vitest';
import { formatDuration, parseCpus, parseDuration, parseSize } from './units.js';

describe('durations', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['1s', 1000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1h2m3s4ms', 3_723_004],
    ['100us', 0.1],
    ['1.1s', 1100],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', '5x', '1 m', '-1s', 's', '1.s', '5 seconds'])('%j is refused', (text) => {
    expect(() => parseDuration(text)).toThrow(/expected a duration like 1m30s, 500ms, 2h or 1.5s/);
  });

  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1500, '1s500ms'],
    [90_000, '1m30s'],
    [7_200_000, '2h'],
    [3_723_004, '1h2m3s4ms'],
    [0.1, '0.1ms'],
  ])('%d ms is written %s, which reads back the same', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('sizes', () => {
  it.each([
    [0, 0],
    [1024, 1024],
    ['100b', 100],
    ['512k', 512 * 1024],
    ['512kb', 512 * 1024],
    ['256m', 256 * 1024 ** 2],
    ['256M', 256 * 1024 ** 2],
    ['512MiB', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2t', 2 * 1024 ** 4],
    ['4096', 4096],
  ])('%j is %d bytes', (value, bytes) => expect(parseSize(value)).toBe(bytes));

  it.each(['', '12q', 'm', '-1m', '1 g', '1gbb'])('%j is refused', (value) => {
    expect(() => parseSize(value)).toThrow(/expected a size like 256m, 1g/);
  });

  it('refuses fractional and negative byte counts', () => {
    expect(() => parseSize(1.5)).toThrow(/whole number of bytes/);
    expect(() => parseSize(-1)).toThrow(/whole number of bytes/);
  });
});

describe('cpus', () => {
  it.each([
    [0.5, 0.5],
    ['0.5', 0.5],
    [2, 2],
  ])('%j is %d', (value, n) => expect(parseCpus(value)).toBe(n));
  it.each([0, -1, 'lots', ''])('%j is refused', (value) => expect(() => parseCpus(value)).toThrow(/more than 0/));
});
