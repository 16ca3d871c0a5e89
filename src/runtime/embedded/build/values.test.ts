/** The small value parsers: Go durations, EXPOSE specs, stop signals, image paths. */
import { describe, expect, test } from 'vitest';
import { normalizeDest, normalizeWorkdir } from './container-path.js';
import { parseGoDuration } from './go-duration.js';
import { exposedPortKeys } from './port-spec.js';
import { checkSignal } from './signals.js';

describe('parseGoDuration', () => {
  test.each([
    ['0', 0],
    ['1ns', 1],
    ['1.5s', 1.5e9],
    ['1m30s', 90e9],
    ['500ms', 500e6],
    ['2h45m', 9900e9],
    ['.5s', 0.5e9],
    ['10µs', 10e3],
    ['-1s', -1e9],
  ])('%s = %d ns', (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  test.each([
    ['', 'time: invalid duration ""'],
    ['10', 'time: missing unit in duration "10"'],
    ['5x', 'time: unknown unit "x" in duration "5x"'],
    ['s', 'time: invalid duration "s"'],
  ])('%j fails', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });
});

describe('exposedPortKeys', () => {
  test.each([
    ['80', ['80/tcp']],
    ['80/udp', ['80/udp']],
    ['53/UDP', ['53/udp']],
    ['80/', ['80/tcp']],
    ['8000-8002/sctp', ['8000/sctp', '8001/sctp', '8002/sctp']],
    ['127.0.0.1:8080:80', ['80/tcp']],
  ])('%s → %j', (spec, keys) => {
    expect(exposedPortKeys(spec)).toEqual(keys);
  });

  test.each([
    ['http', 'invalid containerPort: http'],
    ['80/icmp', 'invalid proto: icmp'],
    ['65536', 'invalid containerPort: 65536'],
    ['9-1', 'invalid range specified for container port: 9-1'],
  ])('%j fails', (spec, message) => {
    expect(() => exposedPortKeys(spec)).toThrow(message);
  });
});

test.each(['SIGTERM', 'sigkill', 'QUIT', '9', 'SIGRTMIN+3', 'RTMAX-1'])('%s is a signal', (s) => {
  expect(() => checkSignal(s)).not.toThrow();
});
test.each(['SIGFOO', '0', 'TERM2', 'SIGRTMIN+16', ''])('%j is not a signal', (s) => {
  expect(() => checkSignal(s)).toThrow(`Invalid signal: ${s}`);
});

describe('paths in the image', () => {
  test.each([
    ['', '/app', '/app'],
    ['/app', 'src', '/app/src'],
    ['/app', '../etc/', '/etc'],
    ['/app', '/', '/'],
    ['/', '//x//y/', '/x/y'],
  ])('WORKDIR %j then %j = %j', (current, requested, expected) => {
    expect(normalizeWorkdir(current, requested)).toBe(expected);
  });

  test.each([
    ['/app', '.', '/app/'],
    ['/app', '', '/app/'],
    ['/app', './', '/app/'],
    ['/app', 'x', '/app/x'],
    ['/app', 'x/', '/app/x/'],
    ['/app', 'x/.', '/app/x/'],
    ['/app', '/abs', '/abs'],
    ['/', '/', '/'],
    ['/', '.', '/'],
    ['/app', '../../x', '/x'],
  ])('COPY dest in %j: %j = %j', (workdir, dest, expected) => {
    expect(normalizeDest(workdir, dest)).toBe(expected);
  });
});
