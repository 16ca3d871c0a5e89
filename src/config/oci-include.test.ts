/**
 * `include: - oci://…`: a Compose project artifact (the manifest `docker compose publish` pushes:
 * compose files and an env file as layers) pushed to a real registry (Debian's docker-registry on
 * loopback), read back into the cache and included.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../runtime/embedded/registry/fixtures/test-registry.js';
import { requireCommand, unmet } from '../testing/requirements.js';
import { loadStack } from './index.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes a blob and returns its descriptor fields (the registry's monolithic upload: POST, then PUT with the digest). */
async function pushBlob(host: string, repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', sha(bytes));
  const put = await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  expect(put.status, await put.text()).toBe(201);
  return { digest: sha(bytes), size: bytes.length };
}

/** Pushes a Compose project artifact as Compose publishes it (OCI 1.1: artifactType and the empty config). */
async function pushProject(host: string, repo: string, tag: string, files: { compose: string[]; env?: [string, string] }, asIndex = false): Promise<string> {
  const empty = await pushBlob(host, repo, Buffer.from('{}'));
  const layers = [];
  for (const [i, text] of files.compose.entries()) {
    const d = await pushBlob(host, repo, Buffer.from(text));
    layers.push({ mediaType: 'application/vnd.docker.compose.file+yaml', ...d, annotations: { 'com.docker.compose.file': i === 0 ? 'compose.yaml' : `override-${i}.yaml`, 'com.docker.compose.version': 'v2' } });
  }
  if (files.env) {
    const d = await pushBlob(host, repo, Buffer.from(files.env[1]));
    layers.push({ mediaType: 'application/vnd.docker.compose.envfile', ...d, annotations: { 'com.docker.compose.envfile': files.env[0] } });
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.docker.compose.project',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty },
    layers,
  });
  const put = async (ref: string, body: string, type: string) => {
    const res = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': type } });
    expect(res.status, await res.text()).toBe(201);
  };
  if (!asIndex) {
    await put(tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
    return sha(manifest);
  }
  await put(sha(manifest), manifest, 'application/vnd.oci.image.manifest.v1+json');
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.docker.compose.project', digest: sha(manifest), size: Buffer.byteLength(manifest) }],
  });
  await put(tag, index, 'application/vnd.oci.image.index.v1+json');
  return sha(manifest);
}

describe.skipIf(unmet(requireCommand('docker-registry')))('include from an OCI artifact in a registry', () => {
  let base: string;
  let registry: TestRegistry;

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-oci-include-'));
    registry = await startRegistry(path.join(base, 'registry'));
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  function project(entry: string) {
    const dir = fs.mkdtempSync(path.join(base, 'project-'));
    fs.writeFileSync(path.join(dir, 'compose.yaml'), `include:\n  - ${entry}\nservices:\n  app:\n    image: example/app\n`);
    return loadStack({ cwd: dir, env: { XDG_CACHE_HOME: path.join(base, 'cache'), HOME: base, PATH: process.env.PATH } });
  }

  it('reads the compose files (merged in order) and the env file of a published project', async () => {
    const digest = await pushProject(registry.host, 'acme/db', 'v1', {
      compose: ['services:\n  db:\n    image: example/db:${DB_TAG}\n    env_file: db.env\n', 'services:\n  db:\n    user: postgres\n'],
      env: ['db.env', 'A=1\n'],
    });
    const stack = await project(`oci://${registry.host}/acme/db:v1`);
    expect(stack.services.db).toMatchObject({ image: 'example/db:', user: 'postgres' });
    const cached = path.join(base, 'cache', 'hafen', 'oci', digest.slice('sha256:'.length));
    expect(stack.services.db!.env_file).toEqual([path.join(cached, 'db.env')]);
    expect(fs.readFileSync(path.join(cached, 'db.env'), 'utf8')).toBe('A=1\n');
  });

  it('finds the project in an index, as Compose does', async () => {
    await pushProject(registry.host, 'acme/cache', 'v2', { compose: ['services:\n  cache:\n    image: example/cache:2\n'] }, true);
    expect((await project(`oci://${registry.host}/acme/cache:v2`)).services.cache!.image).toBe('example/cache:2');
  });

  it('names the include entry for a missing tag or an image that is not a Compose project', async () => {
    const message = async (entry: string) => ((await project(entry).catch((e: unknown) => e)) as Error).message;
    expect(await message(`oci://${registry.host}/acme/db:nope`)).toMatch(/^compose\.yaml:2:5 include\[0\]: include "oci:\/\/.*\/acme\/db:nope": .*nope/);
    // An ordinary image manifest (config of an image) is refused, not read as compose files.
    const config = await pushBlob(registry.host, 'acme/img', Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [] });
    const res = await fetch(`http://${registry.host}/v2/acme/img/manifests/1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(res.status).toBe(201);
    expect(await message(`oci://${registry.host}/acme/img:1`)).toContain('is not a Compose project artifact (its type is "application/vnd.oci.image.config.v1+json")');
    expect(fs.readdirSync(path.join(base, 'cache', 'hafen', 'oci')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
