import { describe, expect, it } from 'vitest';
import type { BuildSpec } from '../config/model.js';
import { hostPlatform } from './build-support.js';
import { formatPlan } from './format.js';
import { planUp } from './plan-up.js';
import { runtimeRefusals } from './runtime-support.js';
import { makeStack } from './test-stack.js';

const build = (keys: Partial<BuildSpec> = {}): BuildSpec => ({ context: '/w/app', dockerfile: 'Dockerfile', args: {}, labels: {}, no_cache: false, ...keys });
/** The refusals of one service `app` building with `keys`, as `KEY: message`. */
const refusals = (runtime: 'embedded' | 'docker', keys: Partial<BuildSpec>) =>
  runtimeRefusals(makeStack({ services: { app: { build: build(keys) } } }), runtime).map((i) => `${i.location.path.replace('services.app.', '')}: ${i.message}`);

describe('build keys a runtime cannot honour', () => {
  it.each<[string, 'embedded' | 'docker', Partial<BuildSpec>, string]>([
    ['a git context on embedded', 'embedded', { context: 'https://h/x.git', remote: true }, 'build.context: the build context "https://h/x.git" is a URL, which the embedded runtime cannot fetch'],
    ['a URL named context on embedded', 'embedded', { additional_contexts: { src: 'https://h/x.git' } }, 'build.additional_contexts: the context "src" (https://h/x.git) is a URL'],
    ['a network by name on embedded', 'embedded', { network: 'backend' }, 'build.network: RUN steps of the embedded builder run on the host\'s network or none, not on "backend"'],
    ['shm_size on embedded', 'embedded', { shm_size: 1024 }, 'build.shm_size: the embedded builder does not size /dev/shm'],
    ['ulimits on embedded', 'embedded', { ulimits: { nofile: { soft: 1, hard: 2 } } }, 'build.ulimits: the embedded builder does not set resource limits'],
    ['another platform on embedded', 'embedded', { platforms: [hostPlatform(), 'linux/s390x'] }, 'build.platforms: the embedded builder builds for this machine'],
    ['named contexts on docker', 'docker', { additional_contexts: { lib: '/w/lib' } }, "build.additional_contexts: named build contexts need BuildKit, which the Docker runtime's builder"],
    ['build secrets on docker', 'docker', { secrets: [{ id: 't', source: 't', file: '/w/t' }] }, 'build.secrets: build secrets (RUN --mount=type=secret) need BuildKit'],
    ['ssh on docker', 'docker', { ssh: [{ id: 'default' }] }, 'build.ssh: SSH forwarding (RUN --mount=type=ssh) needs BuildKit'],
    ['dockerfile_inline with a git context on docker', 'docker', { context: 'https://h/x.git', remote: true, dockerfile_inline: 'FROM x' }, 'build.dockerfile_inline: the engine reads the Dockerfile from the git repository it clones'],
    ['two platforms on docker', 'docker', { platforms: ['linux/amd64', 'linux/arm64'] }, "build.platforms: the engine's classic builder builds one platform, not 2"],
    ['privileged', 'docker', { privileged: true }, 'build.privileged: privileged builds are not supported'],
    ['an entitlement', 'embedded', { entitlements: ['network.host', 'security.insecure'] }, 'build.entitlements: the entitlement security.insecure cannot be granted'],
    ['a Windows isolation', 'docker', { isolation: 'hyperv' }, 'build.isolation: isolation "hyperv" is for Windows engines'],
  ])('refuses %s', (_what, runtime, keys, start) => {
    const [first, ...rest] = refusals(runtime, keys);
    expect(rest).toEqual([]);
    expect(first).toContain(start);
    expect(first).toMatch(/; \S/); // and says what to do
  });

  it.each<[string, 'embedded' | 'docker', Partial<BuildSpec>]>([
    ['what the embedded builder does', 'embedded', { dockerfile_inline: 'FROM x', additional_contexts: { lib: '/w/lib', b: 'docker-image://x' }, network: 'none', extra_hosts: { a: '1.2.3.4' }, secrets: [{ id: 't', source: 't', file: '/w/t' }], ssh: [{ id: 'default' }], cache_from: ['x'], cache_to: ['type=inline'], pull: true, tags: ['x:1'], platforms: [hostPlatform()], privileged: false, entitlements: ['network.host'], isolation: 'default' }],
    ['what the engine does', 'docker', { context: 'https://h/x.git', remote: true, dockerfile: 'sub/Dockerfile', network: 'backend', extra_hosts: { a: '1.2.3.4' }, cache_from: ['x'], pull: true, tags: ['x:1'], shm_size: 1024, ulimits: { nofile: { soft: 1, hard: 2 } }, platforms: ['linux/arm64'] }],
  ])('accepts %s', (_what, runtime, keys) => {
    expect(refusals(runtime, keys)).toEqual([]);
  });
});

describe('service: contexts', () => {
  it('build the named service first, and the build waits for it', () => {
    const stack = makeStack({
      services: {
        app: { image: 'app:1', build: build({ additional_contexts: { base: 'service:base' } }) },
        base: { image: 'base:1', build: build({ context: '/w/base' }) },
      },
    });
    expect(formatPlan(planUp(stack)).split('\n').filter((l) => l.includes('build-image'))).toEqual([
      '[] -> #2 image:base:1  build-image',
      '[2] -> #3 image:app:1  build-image',
    ]);
  });
});
