import { describe, expect, it } from 'vitest';
import { chooseRuntime } from './project-runtime.js';

describe('chooseRuntime', () => {
  it.each([
    ['docker', 'linux', 0, { runtime: 'docker' }],
    ['embedded', 'darwin', 501, { runtime: 'embedded' }],
    [undefined, 'linux', 0, { runtime: 'embedded' }],
    [undefined, 'linux', 1000, { runtime: 'docker', why: 'using the docker runtime: the embedded runtime needs root, this runs as uid 1000' }],
    [undefined, 'darwin', 501, { runtime: 'docker', why: 'using the docker runtime: the embedded runtime needs Linux, this is darwin' }],
  ] as const)('asked %s on %s as uid %s', (asked, platform, uid, choice) => {
    expect(chooseRuntime(asked, { platform, uid })).toEqual(choice);
  });
});
