import { describe, expect, it } from 'vitest';
import { embeddedUnavailable } from '../runtime/embedded/native-files.js';
import { chooseRuntime, dockerStateRoot } from './project-runtime.js';

describe('chooseRuntime', () => {
  it.each([
    ['docker', 'linux', 0, { runtime: 'docker' }],
    ['embedded', 'darwin', 501, { runtime: 'embedded' }],
    [undefined, 'linux', 0, { runtime: 'embedded' }],
    [undefined, 'linux', 1000, { runtime: 'embedded' }],
    [undefined, 'darwin', 501, { runtime: 'docker', why: 'using the docker runtime: the embedded runtime needs Linux, this is darwin' }],
  ] as const)('asked %s on %s as uid %s', (asked, platform, uid, choice) => {
    expect(chooseRuntime(asked, { platform, uid })).toEqual(choice);
  });

  it('takes Docker, saying why in one line, where this installation lacks the native parts', () => {
    const embeddedMissing = embeddedUnavailable('linux', 'riscv64');
    expect(embeddedMissing).toMatch(/^the embedded runtime has no build for linux-riscv64 \(prebuilt: linux-x64, linux-arm64\); `npm run build:native` builds one/);
    expect(chooseRuntime(undefined, { platform: 'linux', uid: 0, embeddedMissing })).toEqual({ runtime: 'docker', why: `using the docker runtime: ${embeddedMissing}` });
    expect(chooseRuntime('embedded', { platform: 'linux', uid: 0, embeddedMissing })).toEqual({ runtime: 'embedded' });
  });
});

describe('chooseRuntime for a user without root (issue 17)', () => {
  it('takes the embedded runtime where user namespaces work, Docker with the reason where they do not', () => {
    expect(chooseRuntime(undefined, { platform: 'linux', uid: 1000 })).toEqual({ runtime: 'embedded' });
    const userNamespacesMissing = 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)';
    expect(chooseRuntime(undefined, { platform: 'linux', uid: 1000, userNamespacesMissing })).toEqual({
      runtime: 'docker',
      why: 'using the docker runtime: the embedded runtime needs root or user namespaces for uid 1000, and unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)',
    });
    // Root needs no user namespace; and what is asked for is taken.
    expect(chooseRuntime(undefined, { platform: 'linux', uid: 0, userNamespacesMissing })).toEqual({ runtime: 'embedded' });
    expect(chooseRuntime('embedded', { platform: 'linux', uid: 1000, userNamespacesMissing })).toEqual({ runtime: 'embedded' });
  });
});

describe('dockerStateRoot', () => {
  it.each([
    [{ HAFEN_ROOT: '/srv/hafen' }, 1000, '/srv/hafen'],
    [{}, 0, '/var/lib/hafen'],
    [{ XDG_STATE_HOME: '/home/u/.state' }, 1000, '/home/u/.state/hafen'],
    [{}, 1000, '/home/u/.local/state/hafen'],
  ] as const)('%o as uid %s: %s', (env, uid, expected) => {
    expect(dockerStateRoot(env, uid, '/home/u')).toBe(expected);
  });
});
