/**
 * The launcher's own launch tests, run against the arm64 build (prebuilds/linux-arm64/hafen-run)
 * under qemu-user: the same test files as for the native launcher, with hafenRunCommand putting
 * qemu-aarch64-static in front (hafen-run-path.ts, read only inside vitest). The containers'
 * payload is the host's x86_64 busybox: qemu-user passes an execve to the host kernel, so the
 * command runs natively while hafen-run (outer process and the container's init) is emulated.
 * What cannot work under qemu-user skips there, saying why (README, "What is not done yet").
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'vitest';
import { requireCommand, unmet } from '../../../testing/requirements.js';

const needs = unmet(requireCommand('qemu-aarch64-static'), requireCommand('aarch64-linux-gnu-gcc'));

if (needs) {
  describe.skip('the arm64 launcher under qemu-user', () => it('needs qemu-user-static and gcc-aarch64-linux-gnu', () => {}));
} else {
  // Rebuilt only when native/ changed since (the cross build takes ~10 s).
  execFileSync(process.execPath, ['scripts/build-native.mjs', '--target', 'linux-arm64'], { stdio: 'pipe' });
  process.env.HAFEN_RUN_WRAPPER = 'qemu-aarch64-static';
  process.env.HAFEN_RUN_BINARY = path.resolve('prebuilds/linux-arm64/hafen-run');
  await import('./launch.test.js');
  await import('./launch-process.test.js');
  await import('./launch-env.test.js');
  await import('./launch-devices.test.js');
  await import('./launch-seccomp.test.js');
  await import('./resolve-in-root.test.js');
  await import('./older-kernels.test.js');
}
