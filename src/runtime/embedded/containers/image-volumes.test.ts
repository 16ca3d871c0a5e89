import { describe, expect, it } from 'vitest';
import type { Mount } from '../../runtime.js';
import { imageVolumeTargets, normalizeTarget } from './image-volumes.js';

describe('image VOLUMEs', () => {
  it.each([
    ['/data', '/data'],
    ['/data/', '/data'],
    ['data', '/data'],
    ['/a/./b/../c//', '/a/c'],
    ['/', '/'],
  ])('%s is the mount target %s', (given, clean) => expect(normalizeTarget(given)).toBe(clean));

  it('needs an anonymous volume where the spec mounts nothing, whatever the spelling', () => {
    const mounts: Mount[] = [
      { type: 'tmpfs', target: '/cache/' },
      { type: 'volume', source: 'db', target: '/var/lib/db', readOnly: false },
    ];
    const config = { Volumes: { '/var/lib/db': {}, '/cache': {}, '/logs/': {}, '/data': {}, '/data/.': {}, '/': {} } };
    expect(imageVolumeTargets(config, { mounts })).toEqual(['/data', '/logs']);
    expect(imageVolumeTargets({}, { mounts })).toEqual([]);
  });
});
