/**
 * The launcher's own launch tests, run against the arm64 build (prebuilds/linux-arm64/hafen-run)
 * under qemu-user: the same test files as for the native launcher, with hafenRunCommand putting
 * qemu-aarch64-static in front (hafen-run-path.ts, read only inside vitest). The containers'
 * payload is the host's x86_64 busybox: qemu-user passes an execve to the host kernel, so the
 * command runs natively while hafen-run (outer process and the container's init) is emulated;
 * the first test checks exactly that. What cannot work under qemu-user skips there, saying why
 * (README, "What is not done yet"). The whole set takes ~35 s here (qemu starts each launcher in
 * ~0.1 s), so all of it runs, not a subset.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { launch } from './launch.js';

const needs = unmet(requireRoot(), requireCommand('busybox'), requireCommand('qemu-aarch64-static'), requireCommand('aarch64-linux-gnu-gcc'));
const ARM64 = path.resolve('prebuilds/linux-arm64/hafen-run');
const EM_X86_64 = 62;

/** The ELF machine of a process's program (/proc/PID/exe): 62 is x86-64, 183 aarch64. */
function machineOf(pid: number): number {
  return fs.readFileSync(`/proc/${pid}/exe`).readUInt16LE(18);
}

if (needs) {
  describe.skip('the arm64 launcher under qemu-user', () => it('needs root, busybox, qemu-user-static and gcc-aarch64-linux-gnu', () => {}));
} else {
  // Rebuilt only when native/ changed since (the cross build takes ~10 s).
  execFileSync(process.execPath, ['scripts/build-native.mjs', '--target', 'linux-arm64'], { stdio: 'pipe' });
  process.env.HAFEN_RUN_WRAPPER = 'qemu-aarch64-static';
  process.env.HAFEN_RUN_BINARY = ARM64;

  describe('the arm64 launcher under qemu-user', () => {
    let base: string;
    beforeAll(() => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-arm64-'));
      makeBusyboxRootfs(path.join(base, 'root'));
    });
    afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

    it('runs the container init as the emulated arm64 launcher and the command natively', async () => {
      const c = await launch({ rootfs: { kind: 'dir', path: path.join(base, 'root') }, command: ['/bin/sleep', '30'] }, { stdio: 'ignore' });
      try {
        await c.go();
        const init = fs.readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0');
        expect(path.basename(fs.readlinkSync(`/proc/${c.pid}/exe`))).toBe('qemu-aarch64-static');
        expect(init.slice(0, 2)).toEqual(['qemu-aarch64-static', ARM64]);
        const [command] = fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8').trim().split(' ').map(Number);
        expect(fs.readFileSync(`/proc/${command}/cmdline`, 'utf8')).toBe('/bin/sleep\x0030\x00');
        expect(machineOf(command!)).toBe(EM_X86_64);
      } finally {
        c.kill('SIGKILL');
        await c.wait();
      }
    });
  });

  await import('./launch.test.js');
  await import('./launch-process.test.js');
  await import('./launch-env.test.js');
  await import('./launch-devices.test.js');
  await import('./launch-seccomp.test.js');
  await import('./resolve-in-root.test.js');
  await import('./older-kernels.test.js');
}
