import { describe, expect, it } from 'vitest';
import { familiarName, isImageName, namesFromAnnotations, qualifiedName } from './image-names.js';
import { parseImageSource } from './image-sources.js';

describe('parseImageSource', () => {
  it.each([
    ['host', { kind: 'host' }],
    ['scratch', { kind: 'scratch' }],
    ['docker-archive:/tmp/app.tar', { kind: 'docker-archive', path: '/tmp/app.tar' }],
    ['docker-archive:./app.tar:app:v1', { kind: 'docker-archive', path: './app.tar', ref: 'app:v1' }],
    ['docker-archive:app.tar:@1', { kind: 'docker-archive', path: 'app.tar', ref: '@1' }],
    ['docker-archive:app.tar:', { kind: 'docker-archive', path: 'app.tar' }],
    ['oci:/srv/layout', { kind: 'oci', path: '/srv/layout' }],
    ['oci:layout:latest', { kind: 'oci', path: 'layout', ref: 'latest' }],
    ['busybox', { kind: 'registry', ref: 'busybox' }],
    ['registry.local:5000/team/app:1.2', { kind: 'registry', ref: 'registry.local:5000/team/app:1.2' }],
    ['hostname:1', { kind: 'registry', ref: 'hostname:1' }],
    ['ocis/app', { kind: 'registry', ref: 'ocis/app' }],
  ])('%s', (image, expected) => {
    expect(parseImageSource(image)).toEqual(expected);
  });

  it('needs a path after docker-archive: and oci:', () => {
    expect(() => parseImageSource('docker-archive:')).toThrow(/docker-archive: needs a path/);
    expect(() => parseImageSource('oci::latest')).toThrow(/oci: needs a path/);
  });
});

describe('image names', () => {
  it.each([
    ['docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['docker.io/team/app:v1', 'team/app:v1'],
    ['index.docker.io/library/redis', 'redis'],
    ['docker.io/library/a/b:1', 'library/a/b:1'],
    ['quay.io/team/app:v1', 'quay.io/team/app:v1'],
    ['app:v1', 'app:v1'],
  ])('familiarName(%s) = %s', (name, expected) => expect(familiarName(name)).toBe(expected));

  it.each([
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    ['team/app:v1', 'docker.io/team/app:v1'],
    ['localhost/app:v1', 'localhost/app:v1'],
    ['registry.local:5000/app:v1', 'registry.local:5000/app:v1'],
  ])('qualifiedName(%s) = %s', (name, expected) => expect(qualifiedName(name)).toBe(expected));

  it('tells names from junk', () => {
    expect(['busybox', 'a/b:c', `x@sha256:${'a'.repeat(64)}`].map(isImageName)).toEqual([true, true, true]);
    expect(['', '../../etc', 'a b', 'a//b', '/abs', 'x'.repeat(300)].map(isImageName)).toEqual([false, false, false, false, false, false]);
  });

  it('takes names from index annotations; a bare ref name is only a tag', () => {
    expect(namesFromAnnotations({ 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' })).toEqual(['busybox:latest']);
    expect(namesFromAnnotations({ 'org.opencontainers.image.ref.name': 'team/app:v1' })).toEqual(['team/app:v1']);
    expect(namesFromAnnotations({ 'org.opencontainers.image.ref.name': 'latest' })).toEqual([]);
    expect(namesFromAnnotations(undefined)).toEqual([]);
  });
});
