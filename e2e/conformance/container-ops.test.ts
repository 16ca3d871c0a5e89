/**
 * Pause, processes and copies on every runtime, through the `Runtime` interface only: a paused
 * container reports `paused` and still stops at once; `top` lists its processes; a folder with a
 * file and a symlink goes into a container (started or only created) and comes back the same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unmet } from '../../src/testing/requirements.js';
import { caveatOf, eventually, useRuntime } from './harness.js';
import { runtimes } from './runtimes.js';

const SLEEPER = ['sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait"];

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): pause, top, copies`, () => {
    const h = useRuntime(factory, 33, 'co');

    it.skipIf(caveatOf(factory, 'freezer'))('pauses and unpauses a running container, and stops a paused one at once', async () => {
      const { runtime } = h;
      const spec = h.spec('p', { image: h.images.busybox, command: SLEEPER });
      await runtime.createContainer(spec);
      await expect(runtime.pauseContainer(spec.name)).rejects.toThrow();
      await runtime.startContainer(spec.name);
      await runtime.pauseContainer(spec.name);
      expect((await runtime.inspectContainer(spec.name))?.state).toBe('paused');
      expect((await runtime.listContainers(h.labels())).map((c) => c.state)).toEqual(['paused']);
      await expect(runtime.pauseContainer(spec.name)).rejects.toThrow(/paused/);
      await runtime.unpauseContainer(spec.name);
      expect((await runtime.inspectContainer(spec.name))?.state).toBe('running');
      await expect(runtime.unpauseContainer(spec.name)).rejects.toThrow(/not paused/);

      await runtime.pauseContainer(spec.name);
      const started = Date.now();
      await runtime.stopContainer(spec.name, { timeout: 5000 });
      expect(Date.now() - started).toBeLessThan(4000); // its trap ran: thawed to take the signal
      expect(await runtime.inspectContainer(spec.name)).toMatchObject({ state: 'exited', exitCode: 0 });
    });

    it("lists a running container's processes", async () => {
      const { runtime } = h;
      const spec = h.spec('t', { image: h.images.busybox, command: SLEEPER });
      await runtime.createContainer(spec);
      await runtime.startContainer(spec.name);
      // The shell forks its sleep a moment after the container starts.
      const top = await eventually(async () => {
        const t = await runtime.top(spec.name);
        return t.processes.some((p) => p[7] === 'sleep 600') && t;
      }, 10_000, 'sleep 600 in top');
      expect(top.titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
      expect(top.processes.every((p) => /^\d+$/.test(p[1]!))).toBe(true);
    });

    it('copies a folder in and out, with modes and symlinks, into a created container too', async () => {
      const { runtime } = h;
      const dir = h.tempDir('cp-');
      try {
        const tree = path.join(dir, 'tree');
        fs.mkdirSync(path.join(tree, 'sub'), { recursive: true });
        fs.writeFileSync(path.join(tree, 'sub', 'file'), 'content\n', { mode: 0o600 });
        fs.symlinkSync('sub/file', path.join(tree, 'link'));
        factory.handOver?.(dir); // the files are the runtime user's, as a user's own files are

        const spec = h.spec('c', { image: h.images.busybox, command: SLEEPER });
        await runtime.createContainer(spec);
        await runtime.copyToContainer(spec.name, tree, '/tree'); // not started yet
        await runtime.startContainer(spec.name);
        await runtime.copyToContainer(spec.name, path.join(tree, 'sub', 'file'), '/tree/second');

        const back = path.join(dir, 'back');
        await runtime.copyFromContainer(spec.name, '/tree', back);
        expect(fs.readFileSync(path.join(back, 'sub', 'file'), 'utf8')).toBe('content\n');
        expect(fs.statSync(path.join(back, 'sub', 'file')).mode & 0o777).toBe(0o600);
        expect(fs.readlinkSync(path.join(back, 'link'))).toBe('sub/file');
        expect(fs.readFileSync(path.join(back, 'second'), 'utf8')).toBe('content\n');

        await expect(runtime.copyFromContainer(spec.name, '/no/such/file', path.join(dir, 'x'))).rejects.toThrow(/no such file/i);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
