import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStack } from '../config/index.js';
import { runtimeRefusals } from './runtime-support.js';
import { containerSpec } from '../executor/container-spec.js';
import { createRequest } from '../runtime/docker/create-options.js';

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});
/** A temporary project folder, removed after the test. */
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

describe('bind propagation', () => {
  it('is read from the short and long syntax, refused by the embedded runtime, passed to Docker', async () => {
    const dir = await tempDir('hafen-propagation-');
    await writeFile(
      path.join(dir, 'compose.yaml'),
      ['name: t', 'services:', '  x:', '    image: host', '    volumes:', '      - /:/host:ro,rslave', '      - {type: bind, source: ./d, target: /d, bind: {propagation: rprivate}}', '  y:', '    image: host', '    volumes: ["./e:/e:z"]', ''].join('\n'),
    );
    const stack = await loadStack({ cwd: dir, env: {} });
    const [host, d] = stack.services.x!.volumes;
    expect(host).toMatchObject({ type: 'bind', source: '/', read_only: true, propagation: 'rslave' });
    expect(d).toMatchObject({ type: 'bind', propagation: 'rprivate' });
    expect(stack.services.y!.volumes[0]).not.toHaveProperty('propagation');

    const refusals = runtimeRefusals(stack, 'embedded');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ location: { file: 'compose.yaml', line: 5, path: 'services.x.volumes' } });
    expect(refusals[0]!.message).toContain('"rslave" propagation');
    expect(runtimeRefusals(stack, 'docker')).toEqual([]);

    const spec = containerSpec(stack, stack.services.x!, { service: 'x', number: 1, container: 't-x-1', image: 'busybox', configHash: 'h' });
    expect(spec.mounts[0]).toMatchObject({ type: 'bind', propagation: 'rslave' });
    expect(createRequest(spec, 'busybox').options.HostConfig?.Mounts?.[0]).toMatchObject({ Type: 'bind', Source: '/', Target: '/host', ReadOnly: true, BindOptions: { Propagation: 'rslave' } });
  });

  it('is an error on a named volume', async () => {
    const dir = await tempDir('hafen-propagation-');
    await writeFile(path.join(dir, 'compose.yaml'), 'name: t\nservices:\n  x:\n    image: host\n    volumes: ["data:/data:rslave"]\nvolumes: {data: {}}\n');
    await expect(loadStack({ cwd: dir, env: {} })).rejects.toThrow('applies to a bind mount (a host path), not to the volume "data"');
  });
});

describe('external_links', () => {
  it('are kept as written, refused by the embedded runtime, and Docker links by NAME:ALIAS', async () => {
    const dir = await tempDir('hafen-extlinks-');
    await writeFile(path.join(dir, 'compose.yaml'), 'name: t\nservices:\n  app:\n    image: busybox\n    external_links: [redis_1, "project_db_1:mysql"]\n');
    const stack = await loadStack({ cwd: dir, env: {} });
    expect(stack.services.app!.external_links).toEqual(['redis_1', 'project_db_1:mysql']);
    const [refusal, ...more] = runtimeRefusals(stack, 'embedded');
    expect(more).toEqual([]);
    expect(refusal).toMatchObject({ location: { line: 5, path: 'services.app.external_links' } });
    expect(runtimeRefusals(stack, 'docker')).toEqual([]);
    const spec = containerSpec(stack, stack.services.app!, { service: 'app', number: 1, container: 't-app-1', image: 'busybox', configHash: 'h' });
    const endpoint = createRequest(spec, 'busybox').options.NetworkingConfig?.EndpointsConfig?.['t_default'];
    expect(endpoint?.Links).toEqual(['redis_1:redis_1', 'project_db_1:mysql']);
  });
});
