import { describe, expect, it } from 'vitest';
import { formatReference, isInsecureRegistry, isLoopback, parseReference } from './reference.js';

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io', 'registry-1.docker.io', 'library/busybox', 'latest', undefined],
    ['busybox:1.36', 'docker.io', 'registry-1.docker.io', 'library/busybox', '1.36', undefined],
    ['user/app', 'docker.io', 'registry-1.docker.io', 'user/app', 'latest', undefined],
    ['docker.io/library/busybox:1', 'docker.io', 'registry-1.docker.io', 'library/busybox', '1', undefined],
    ['index.docker.io/busybox', 'docker.io', 'registry-1.docker.io', 'library/busybox', 'latest', undefined],
    ['ghcr.io/o/team/app:v2', 'ghcr.io', 'ghcr.io', 'o/team/app', 'v2', undefined],
    ['localhost/app', 'localhost', 'localhost', 'app', 'latest', undefined],
    ['127.0.0.1:5000/busybox:1', '127.0.0.1:5000', '127.0.0.1:5000', 'busybox', '1', undefined],
    ['[::1]:5000/app', '[::1]:5000', '[::1]:5000', 'app', 'latest', undefined],
    [`r.example.com:443/app@sha256:${'a'.repeat(64)}`, 'r.example.com:443', 'r.example.com:443', 'app', undefined, `sha256:${'a'.repeat(64)}`],
    [`app:1@sha256:${'b'.repeat(64)}`, 'docker.io', 'registry-1.docker.io', 'library/app', '1', `sha256:${'b'.repeat(64)}`],
  ])('%s', (text, domain, endpoint, path, tag, digest) => {
    const ref = parseReference(text);
    expect([ref.domain, ref.endpoint, ref.path, ref.tag, ref.digest]).toEqual([domain, endpoint, path, tag, digest]);
  });

  it.each([
    ['', /empty/],
    ['Busybox', /lowercase/],
    ['app:-x', /tag "-x" is not valid/],
    ['app@sha256:abc', /not a sha256 digest/],
    ['a//b', /"" is not a valid name component/],
    ['host:5000/', /no repository|not a valid name component/],
    ['app@md5:0123', /not a sha256 digest/],
  ])('refuses %j', (text, why) => {
    expect(() => parseReference(text)).toThrow(why);
  });

  it('formats full and familiar forms', () => {
    expect(formatReference(parseReference('busybox'))).toBe('docker.io/library/busybox:latest');
    expect(formatReference(parseReference('docker.io/library/busybox:1'), 'familiar')).toBe('busybox:1');
    expect(formatReference(parseReference('127.0.0.1:5000/a/b:2'), 'familiar')).toBe('127.0.0.1:5000/a/b:2');
  });
});

describe('insecure registries', () => {
  it.each([
    ['127.0.0.1:5000', true],
    ['127.8.9.10', true],
    ['localhost:80', true],
    ['[::1]:5000', true],
    ['registry-1.docker.io', false],
    ['10.0.0.5:5000', false],
  ])('%s is loopback: %s', (host, loopback) => expect(isLoopback(host)).toBe(loopback));

  it('takes hosts from HAFEN_INSECURE_REGISTRIES, with or without port', () => {
    const env = { HAFEN_INSECURE_REGISTRIES: 'reg.lan:5000, http://build.lan ,' };
    expect(isInsecureRegistry('reg.lan:5000', env)).toBe(true);
    expect(isInsecureRegistry('reg.lan:5001', env)).toBe(false);
    expect(isInsecureRegistry('build.lan:1234', env)).toBe(true);
    expect(isInsecureRegistry('other.lan', env)).toBe(false);
  });
});
