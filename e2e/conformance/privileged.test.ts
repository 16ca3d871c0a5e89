/**
 * `privileged: true` on every runtime, next to an ordinary container: every capability, the
 * host's devices in /dev, /sys writable, nothing masked, no no_new_privs; an ordinary container
 * has none of that. Written against the `Runtime` interface only.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unmet } from '../../src/testing/requirements.js';
import { logText, useRuntime, type Harness } from './harness.js';
import { runtimes } from './runtimes.js';

/** What the probe prints, one line per check. */
const PROBE = [
  'mount -t tmpfs probe /tmp 2>/dev/null && echo mount=yes || echo mount=no',
  'test -c /dev/loop-control && echo loop-control=yes || echo loop-control=no',
  'test -b /dev/loop0 && echo loop0=yes || echo loop0=no',
  'grep -q " /sys sysfs rw," /proc/mounts && echo sys=rw || echo sys=ro',
  'grep -q " /proc/sys proc ro," /proc/mounts && echo proc-sys=ro || echo proc-sys=rw',
  'sed -n "s/^CapEff:\\t*//p; s/^NoNewPrivs:\\t*/no_new_privs=/p" /proc/self/status',
].join('; ');

/** Every capability this (root) test process holds, as CapEff shows it: a host may lack some the kernel knows. */
function allCapabilities(): string {
  return /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!;
}

async function probe(h: Harness, name: string, privileged: boolean): Promise<{ run: string; exec: string }> {
  const spec = h.spec(name, { image: h.images.busybox, privileged, command: ['sh', '-c', `${PROBE}; exec sleep 100`] });
  await h.runtime.createContainer(spec);
  await h.runtime.startContainer(spec.name);
  let run = '';
  for (let i = 0; i < 100 && run.split('\n').length < 7; i++) {
    await new Promise((r) => setTimeout(r, 50));
    run = await logText(h.runtime, spec.name);
  }
  const exec = (await h.runtime.exec(spec.name, { command: ['sh', '-c', PROBE] })).stdout.trim();
  await h.runtime.stopContainer(spec.name, { timeout: 1000 });
  return { run, exec };
}

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): privileged`, () => {
    const h = useRuntime(factory, 4, 'cp');
    const hostHas = (dev: string) => (fs.existsSync(dev) ? 'yes' : 'no');

    const cannot = factory.caveat?.('privileged');
    if (cannot) console.warn(`skipped on ${factory.name}: privileged containers (${cannot})`);
    it.skipIf(cannot)('gives a privileged container every capability, the host devices, a writable /sys, and exec the same', async () => {
      const { run, exec } = await probe(h, 'priv', true);
      const devices = [`loop-control=${hostHas('/dev/loop-control')}`, `loop0=${hostHas('/dev/loop0')}`];
      const expected = ['mount=yes', ...devices, 'sys=rw', 'proc-sys=rw', allCapabilities(), 'no_new_privs=0'].join('\n');
      expect(run).toBe(expected);
      expect(exec).toBe(expected);
    });

    it('keeps an ordinary container from mounting, from the host devices and from writing /sys', async () => {
      const { run, exec } = await probe(h, 'plain', false);
      // a80425fb: Docker's default capability set.
      const expected = ['mount=no', 'loop-control=no', 'loop0=no', 'sys=ro', 'proc-sys=ro', '00000000a80425fb', 'no_new_privs=1'].join('\n');
      expect(run).toBe(expected);
      expect(exec).toBe(expected);
    });
  });
}
