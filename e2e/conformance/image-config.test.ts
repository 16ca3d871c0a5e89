/**
 * An image's config applied as the Docker engine applies it, on every runtime: a numeric USER with
 * no passwd entry (gid 0), `uid:gid` from the spec, the image's HEALTHCHECK run on its own and
 * merged field by field under a spec healthcheck that leaves fields out, and its STOPSIGNAL used by
 * stop.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../src/runtime/runtime.js';
import { unmet } from '../../src/testing/requirements.js';
import { eventually, logText, useRuntime } from './harness.js';
import { runtimes } from './runtimes.js';

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): image config`, () => {
    // Slot 30: this file's own addresses (10.250.x on the embedded runtime), though it makes no network.
    const h = useRuntime(factory, 30, 'ci');
    let image: string;

    beforeAll(async () => {
      const context = h.tempDir('config-image-');
      fs.writeFileSync(
        path.join(context, 'Dockerfile'),
        [
          `FROM ${h.images.busybox}`,
          'USER 4321',
          'HEALTHCHECK --interval=1s --timeout=5s --retries=20 CMD ["true"]',
          'STOPSIGNAL SIGUSR1',
          'CMD ["sh", "-c", "trap \'echo got-usr1; exit 0\' USR1; trap \'echo got-term; exit 0\' TERM; while :; do sleep 0.1; done"]',
        ].join('\n'),
      );
      // A tag of this run only (other runs share the engine), removed after.
      image = `hafen-conformance-config-${h.project}:latest`;
      await h.runtime.buildImage({ contextDir: context, dockerfile: 'Dockerfile', args: {}, tag: image, noCache: false, labels: {} });
    }, 120_000);
    afterAll(async () => {
      if (image) await h.runtime.removeImage(image).catch(() => {});
    });

    const start = async (name: string, fields: Partial<ContainerSpec> = {}) => {
      const spec = h.spec(name, { image, stopSignal: '', ...fields }); // '': none of the spec's, as a service without stop_signal
      await h.runtime.createContainer(spec);
      await h.runtime.startContainer(spec.name);
      return spec.name;
    };
    const health = async (name: string) => (await h.runtime.inspectContainer(name))?.health;

    it('runs as the image USER without a passwd entry (gid 0, as runc under Docker), or as the spec\'s uid:gid', async () => {
      const byImage = await start('byimage', { command: ['id'] });
      expect(await h.runtime.waitContainer(byImage)).toMatchObject({ exitCode: 0 });
      expect(await logText(h.runtime, byImage)).toBe('uid=4321 gid=0(root) groups=0(root)');
      const bySpec = await start('byspec', { command: ['id'], user: '4321:55' });
      expect(await h.runtime.waitContainer(bySpec)).toMatchObject({ exitCode: 0 });
      expect(await logText(h.runtime, bySpec)).toBe('uid=4321 gid=55 groups=55');
    }, 60_000);

    it("runs the image's HEALTHCHECK to healthy, also under a spec healthcheck that gives only retries; stops by its STOPSIGNAL", async () => {
      const own = await start('own');
      const partial = await start('partial', {
        healthcheck: { test: [], interval: 30_000, timeout: 30_000, retries: 7, start_period: 0, start_interval: 50, fromImage: ['test', 'interval', 'timeout', 'start_period'] },
      });
      // Without the image's test there would be no healthcheck at all (health 'none'); on Docker 20.10,
      // which has no start interval, a 30 s interval would not be healthy within 20 s either.
      let seen: unknown[] = [];
      const both = async () => {
        seen = [await health(own), await health(partial)];
        return seen.every((x) => x === 'healthy');
      };
      await eventually(both, 20_000, 'both healthy').catch((err: Error) => {
        throw new Error(`${err.message}; health of own and partial: ${seen.join(', ')}`);
      });
      await h.runtime.stopContainer(own, { timeout: 10_000 });
      expect(await logText(h.runtime, own)).toContain('got-usr1');
    }, 60_000);
  });
}
