import { describe, expect, it } from 'vitest';
import { parseCopyArgs } from './copy-args.js';

describe('parseCopyArgs', () => {
  it('reads SERVICE:SRC DEST as a copy out of the container', () => {
    expect(parseCopyArgs('web:/etc/hosts', './out')).toEqual({ direction: 'from-container', service: 'web', containerPath: '/etc/hosts', hostPath: './out' });
  });
  it('reads SRC SERVICE:DEST as a copy into the container', () => {
    expect(parseCopyArgs('/tmp/a:b', 'db:/data/')).toEqual({ direction: 'to-container', service: 'db', containerPath: '/data/', hostPath: '/tmp/a:b' });
  });
  it('takes a container path without its leading slash as from the root', () => {
    expect(parseCopyArgs('web:tmp/x', '.').containerPath).toBe('/tmp/x');
  });
  it.each([
    ['a.txt', 'b.txt', 'one side must be SERVICE:PATH'],
    ['web:/a', 'db:/b', 'copying between containers is not supported'],
    ['web:', '.', 'no path after web:'],
    [':/a', '.', 'no service before the colon'],
    ['-', 'web:/a', 'not supported'],
    ['', 'web:/a', 'the source is empty'],
  ])('refuses %s %s', (src, dest, message) => {
    expect(() => parseCopyArgs(src, dest)).toThrow(message);
  });
});
