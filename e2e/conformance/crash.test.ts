/**
 * Cleanup after a crash, on every runtime: a process that made a network and started containers is
 * SIGKILLed; its containers run on, and the project's cleanup then leaves nothing behind.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Label } from '../../src/runtime/runtime.js';
import { unmet } from '../../src/testing/requirements.js';
import { spawnTs } from '../../src/testing/ts-child.js';
import { useRuntime } from './harness.js';
import { runtimes } from './runtimes.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/start-and-hang.ts', import.meta.url));

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): cleanup after a crash`, () => {
    const h = useRuntime(factory, 2, 'ck');

    it('removes everything of a project whose creator was SIGKILLed midway', async () => {
      const project = h.project;
      const child = spawnTs(SCRIPT, [factory.name, h.setup.root, String(h.setup.slot), project], { stdio: ['ignore', 'pipe', 'pipe'] });
      const closed = new Promise((resolve) => child.on('close', resolve));
      // A timed-out test must not leave the child creating containers after the cleanup looked.
      h.beforeCleanup(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await closed;
      });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      const ready = await new Promise<boolean>((resolve) => {
        child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(true));
        child.on('close', () => resolve(false));
      });
      expect(ready, stderr).toBe(true);
      child.kill('SIGKILL');
      await closed;

      // The containers outlive their creator; another process sees them.
      const labels = { [Label.project]: project };
      const left = await h.runtime.listContainers(labels);
      expect(left.map((c) => `${c.name} ${c.state}`).sort()).toEqual([`${project}-sleeper-1 running`, `${project}-sleeper-2 running`]);
      expect(factory.leaks(project, h.setup)).not.toEqual([]);

      await factory.cleanup(h.runtime, project);
      expect(factory.leaks(project, h.setup)).toEqual([]);
      expect(await h.runtime.listContainers(labels)).toEqual([]);
      expect(await h.runtime.listNetworks(labels)).toEqual([]);
    });
  });
}
