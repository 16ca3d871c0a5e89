/**
 * An image's VOLUMEs, on every runtime: each container gets its own anonymous volume there, seeded
 * from the image, unless its spec mounts something at that path; it goes when the container goes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../src/runtime/runtime.js';
import { unmet } from '../../src/testing/requirements.js';
import { logText, useRuntime, type Harness } from './harness.js';
import { runtimes } from './runtimes.js';

/** Files named `name` anywhere below `dir`. */
function findNamed(dir: string, name: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => path.basename(p) === name);
}

/** Runs `script` in a new container of `image` to its end; returns its output. */
async function run(h: Harness, name: string, image: string, script: string, fields: Partial<ContainerSpec> = {}): Promise<string> {
  const spec = h.spec(name, { image, ...fields, command: ['sh', '-c', script] });
  await h.runtime.createContainer(spec);
  await h.runtime.startContainer(spec.name);
  expect(await h.runtime.waitContainer(spec.name)).toMatchObject({ exitCode: 0 });
  return logText(h.runtime, spec.name);
}

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): image volumes`, () => {
    const h = useRuntime(factory, 3, 'cv');
    let image: string;

    beforeAll(async () => {
      const context = h.tempDir('volume-image-');
      fs.writeFileSync(
        path.join(context, 'Dockerfile'),
        [
          `FROM ${h.images.busybox}`,
          'RUN mkdir -p /data/sub && echo seeded > /data/sub/file && ln -s sub/file /data/link && chown -R 1000:1000 /data && chmod 0750 /data',
          'VOLUME /data',
          'VOLUME ["/cache/"]',
        ].join('\n'),
      );
      // A tag of this run only (other runs share the engine), removed after.
      image = `hafen-conformance-volumes-${h.project}:latest`;
      await h.runtime.buildImage({ contextDir: context, dockerfile: 'Dockerfile', args: {}, tag: image, noCache: false, labels: {} });
    }, 120_000);
    afterAll(async () => {
      if (image) await h.runtime.removeImage(image).catch(() => {});
    });

    it('gives each container its own volume at an image VOLUME, seeded from the image, writable on a read-only root, gone with the container', async () => {
      const marker = `marker-${h.project}`;
      const first = await run(
        h,
        'first',
        image,
        [
          'cat /data/link',
          'stat -c "%u:%g %a" /data /data/sub/file',
          'grep -c " /data " /proc/mounts',
          'grep -c " /cache " /proc/mounts',
          `echo changed > /data/sub/file && touch /data/${marker} /cache/x && echo volumes-writable`,
          'touch /etc/x 2>/dev/null || echo root-read-only',
        ].join('; '),
        { readOnly: true },
      );
      expect(first).toBe(['seeded', '1000:1000 750', '1000:1000 644', '1', '1', 'volumes-writable', 'root-read-only'].join('\n'));

      expect(await run(h, 'second', image, 'cat /data/sub/file; ls -A /cache | wc -l')).toBe('seeded\n0');

      await h.runtime.removeContainer(h.spec('first', { image }).name);
      expect(findNamed(h.setup.root, marker)).toEqual([]);
    });

    it('mounts what the spec says at an image VOLUME instead, and seeds an anonymous spec volume from the image too', async () => {
      const tmpfs = await run(h, 'tmpfs', image, 'grep -c " /data tmpfs" /proc/mounts; ls -A /data | wc -l', {
        mounts: [{ type: 'tmpfs', target: '/data/' }],
      });
      expect(tmpfs).toBe('1\n0');
      const anonymous = await run(h, 'anon', image, 'cat /data/sub/file; grep -c " /data " /proc/mounts', {
        mounts: [{ type: 'volume', source: '', target: '/data', readOnly: false }],
      });
      expect(anonymous).toBe('seeded\n1');
    });
  });
}
