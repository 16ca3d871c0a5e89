/** Which way each image made here goes to a swarm's nodes, and how a node without it is explained. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStack } from '../../config/index.js';
import { ReadinessError, UsageError } from '../../errors.js';
import { tempDir } from '../../testing/temp-dir.js';
import { explainMissingImage, imageRoutes } from './swarm-images.js';

async function stackOf(top: string) {
  const dir = await tempDir('hafen-swarm-images-');
  await writeFile(path.join(dir, 'stack.yaml'), `name: t\n${top}services:\n  app: {image: "docker-archive:./app.tar"}\n  web: {build: .}\n  db: {image: db:1}\n`);
  return { dir, stack: await loadStack({ cwd: dir, env: {} }) };
}

describe('imageRoutes', () => {
  it('pushes through the stack\'s registry, names each image as the store has it, and leaves pulled images alone', async () => {
    const { dir, stack } = await stackOf('x-hafen-registry: localhost:5000\n');
    expect(imageRoutes(stack, ['app', 'web', 'db'])).toEqual([
      { service: 'app', local: `docker-archive:${path.join(dir, 'app.tar')}`, kind: 'import', via: 'registry' },
      { service: 'web', local: 't-web', kind: 'build', via: 'registry' },
    ]);
  });

  it('loads through ships: without a registry', async () => {
    const { stack } = await stackOf('ships: {a: {docker: "unix:///run/a.sock", manager: true}}\n');
    expect(imageRoutes(stack, ['web', 'db'])).toEqual([{ service: 'web', local: 't-web', kind: 'build', via: 'ships' }]);
    expect(stack.ships.a).toMatchObject({ manager: true });
  });

  it('refuses an image no way reaches the nodes, naming both ways', async () => {
    const { stack } = await stackOf('');
    expect(() => imageRoutes(stack, ['db', 'web'])).toThrow(UsageError);
    expect(() => imageRoutes(stack, ['web'])).toThrow(/services\.web: its image is built here .*registry \(x-hafen-registry or --registry\).*ships:/);
    expect(imageRoutes(stack, ['db'])).toEqual([]);
  });
});

describe('explainMissingImage', () => {
  const noImage = (image: string) => new ReadinessError('web', 'swarm tasks running', `web.1 on nodeb: rejected: No such image: ${image}; 0/1 tasks running`);

  it('says a node could not pull from the registry', () => {
    const err = explainMissingImage(noImage('10.0.0.1:5000/t-web:latest@sha256:ab'), '10.0.0.1:5000/t-web:latest@sha256:ab') as ReadinessError;
    expect(err.message).toBe(
      'service web: swarm tasks running failed: web.1 on nodeb: rejected: No such image: 10.0.0.1:5000/t-web:latest@sha256:ab; 0/1 tasks running; the node could not pull 10.0.0.1:5000/t-web:latest@sha256:ab: can its engine reach the registry 10.0.0.1:5000 (and trust it: an http registry must be in its insecure-registries)?',
    );
  });

  it('says an image loaded through ships: is only on the ships', () => {
    expect((explainMissingImage(noImage('sha256:ab'), 'sha256:ab') as ReadinessError).reason).toContain('a node without a ships: entry has none');
  });

  it('leaves other failures and images it did not bring as they are', () => {
    const other = new ReadinessError('web', 'swarm tasks running', 'web.1 on nodeb: failed: exited with code 1');
    expect(explainMissingImage(other, 'sha256:ab')).toBe(other);
    const pulled = noImage('db:1');
    expect(explainMissingImage(pulled, undefined)).toBe(pulled);
  });
});
