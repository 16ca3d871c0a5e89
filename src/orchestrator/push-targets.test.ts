import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStack } from '../config/load-stack.js';
import { ConfigError, UsageError } from '../errors.js';
import { checkRegistry, namesRegistry, pushTargets } from './push-targets.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function stackOf(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-push-targets-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  fs.mkdirSync(path.join(dir, 'web'));
  return loadStack({ cwd: dir, env: {} });
}

const SERVICES = `name: shop
services:
  web: {build: ./web}
  api: {build: ./web, image: "registry.example.com:5000/team/api:2"}
  cache: {image: "busybox:1.36"}
  pinned: {image: "localhost/app@sha256:${'a'.repeat(64)}"}
  tools: {image: host}
  seed: {image: "docker-archive:./seed.tar"}
`;

describe('push targets', () => {
  it('keeps an image: that names a registry, prefixes the others with --registry, and skips host and scratch', async () => {
    const stack = await stackOf(SERVICES);
    const plan = pushTargets(stack, Object.keys(stack.services), '127.0.0.1:5000');
    expect(plan.targets).toEqual([
      { services: ['web'], local: 'shop-web', target: '127.0.0.1:5000/shop-web:latest' },
      { services: ['api'], local: 'registry.example.com:5000/team/api:2', target: 'registry.example.com:5000/team/api:2' },
      { services: ['cache'], local: 'busybox:1.36', target: '127.0.0.1:5000/busybox:1.36' },
      { services: ['pinned'], local: `localhost/app@sha256:${'a'.repeat(64)}`, target: 'localhost/app:latest' },
      { services: ['seed'], local: `docker-archive:${path.join(stack.dir, 'seed.tar')}`, target: '127.0.0.1:5000/shop-seed:latest' },
    ]);
    expect(plan.skipped).toEqual([{ service: 'tools', why: 'image host is built in, there is nothing to push' }]);
  });

  it('takes the registry from x-hafen-registry; --registry wins over it', async () => {
    const stack = await stackOf(`x-hafen-registry: "reg.example.com/team"\nservices:\n  web: {build: ./web, image: app:1}\n`);
    expect(pushTargets(stack, ['web']).targets[0]!.target).toBe('reg.example.com/team/app:1');
    expect(pushTargets(stack, ['web'], 'localhost:5000').targets[0]!.target).toBe('localhost:5000/app:1');
  });

  it('pushes one image once for services sharing it', async () => {
    const stack = await stackOf(`services:\n  a: {image: "busybox"}\n  b: {image: "busybox"}\n`);
    expect(pushTargets(stack, ['a', 'b'], 'localhost:5000').targets).toEqual([{ services: ['a', 'b'], local: 'busybox', target: 'localhost:5000/busybox:latest' }]);
  });

  it('refuses every service with no registry to push to, at its place in the file, saying what to do', async () => {
    const stack = await stackOf(SERVICES);
    const err = (() => {
      try {
        pushTargets(stack, ['web', 'api', 'cache', 'seed']);
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.message.split('\n')).toEqual([
      `stack.yaml:3:3 services.web: nothing to push to: its built image has no image: name; name one in image: (HOST[:PORT]/REPO[:TAG]), or give \`stack push --registry HOST[:PORT]\` or the top-level key x-hafen-registry`,
      `stack.yaml:5:3 services.cache: nothing to push to: image busybox:1.36 names no registry; name one in image: (HOST[:PORT]/REPO[:TAG]), or give \`stack push --registry HOST[:PORT]\` or the top-level key x-hafen-registry`,
      `stack.yaml:8:3 services.seed: nothing to push to: its image is imported from ${path.join(stack.dir, 'seed.tar')}; name one in image: (HOST[:PORT]/REPO[:TAG]), or give \`stack push --registry HOST[:PORT]\` or the top-level key x-hafen-registry`,
    ]);
  });

  it('refuses a --registry that is no registry host', async () => {
    const stack = await stackOf(SERVICES);
    expect(() => pushTargets(stack, ['web'], 'myregistry')).toThrow(UsageError);
    expect(() => pushTargets(stack, ['web'], 'http://localhost:5000')).toThrow('without a scheme');
    expect(checkRegistry('localhost:5000/')).toEqual({ registry: 'localhost:5000' });
    expect(checkRegistry('Reg.Example.com:5000/Team')).toHaveProperty('problem');
  });

  it('tells a registry host from a Docker Hub namespace as Docker does', () => {
    expect(namesRegistry('localhost/app')).toBe(true);
    expect(namesRegistry('127.0.0.1:5000/app')).toBe(true);
    expect(namesRegistry('ghcr.io/team/app')).toBe(true);
    expect(namesRegistry('team/app')).toBe(false);
    expect(namesRegistry('busybox:1.36')).toBe(false);
  });
});
