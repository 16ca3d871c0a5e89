import { describe, expect, it } from 'vitest';
import { formatDuration } from './duration.js';
import { formatPorts, formatPortsShort } from './ports.js';
import { formatSize, shortBytes } from './size.js';
import { table } from './table.js';
import { formatUptime } from './uptime.js';

describe('formatUptime', () => {
  it.each([
    [0, '0s'],
    [4_999, '4s'],
    [192_000, '3m 12s'],
    [180_000, '3m'],
    [2 * 3600_000 + 5 * 60_000 + 7_000, '2h 5m'],
    [3 * 86400_000 + 4 * 3600_000 + 59_000, '3d 4h'],
    [86400_000 + 30_000, '1d'],
  ])('%i ms reads %s', (ms, text) => expect(formatUptime(ms)).toBe(text));
});

describe('formatDuration', () => {
  it.each([
    [-5, '0ms'],
    [350, '350ms'],
    [1_234, '1.2s'],
    [59_960, '60s'],
    [90_000, '1m30s'],
    [300_000, '5m'],
  ])('%i ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('sizes', () => {
  it.each([
    [999, '999 B'],
    [1_000, '1.00 kB'],
    [340_000, '340.0 kB'],
    [1_234_567, '1.23 MB'],
    [5e15, '5000.0 TB'],
  ])('formatSize(%i) is %s', (n, text) => expect(formatSize(n)).toBe(text));
  it.each([
    [512, '512B'],
    [1024, '1K'],
    [1536, '1.5K'],
    [12 * 1024 ** 2, '12M'],
    [1.5 * 1024 ** 3, '1.5G'],
  ])('shortBytes(%i) is %s', (n, text) => expect(shortBytes(n)).toBe(text));
});

describe('ports', () => {
  const ports = [
    { target: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32768 },
    { target: 53, protocol: 'udp', hostIp: '10.0.0.2', hostPort: 5353 },
  ];
  it('long form names every part', () => expect(formatPorts(ports)).toBe('127.0.0.1:32768->8080/tcp, 10.0.0.2:5353->53/udp'));
  it('short form drops loopback and tcp', () => expect(formatPortsShort(ports)).toBe('32768→8080 10.0.0.2:5353→53/udp'));
  it('no ports: empty', () => expect(formatPorts([])).toBe(''));
});

it('table pads every column but the last', () => {
  expect(table([['NAME', 'SIZE', 'X'], ['a', '1.23 MB', 'long cell']])).toBe('NAME   SIZE      X\na      1.23 MB   long cell');
});
