/**
 * The arm64 launcher (prebuilds/linux-arm64/hafen-run, cross-built by scripts/build-native.mjs)
 * run under qemu-user: it starts, parses every option as the x64 one does and refuses the same bad
 * values with the same words, and makes a container as far as its rootfs. Containers that run are
 * checked by the launcher's own launch tests run against this build (launch-arm64.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, unmet } from '../../../testing/requirements.js';
import { hafenRunPath } from './hafen-run-path.js';

const ARM64 = path.resolve('prebuilds/linux-arm64/hafen-run');
const needs = unmet(requireCommand('qemu-aarch64-static'), requireCommand('aarch64-linux-gnu-gcc'));

/** Runs both launchers with `args`: [native, arm64 under qemu]. */
function both(args: string[]) {
  const native = spawnSync(hafenRunPath(), args, { encoding: 'utf8' });
  const arm64 = spawnSync('qemu-aarch64-static', [ARM64, ...args], { encoding: 'utf8' });
  return { native, arm64 };
}

describe.skipIf(needs)('the arm64 launcher under qemu-user', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-native.mjs', '--target', 'linux-arm64'], { stdio: 'pipe' });
    expect(fs.existsSync(ARM64)).toBe(true);
    expect(execFileSync('file', ['-b', ARM64], { encoding: 'utf8' })).toMatch(/ARM aarch64.*statically linked/);
  }, 120_000);

  it('prints its usage as the native one does', () => {
    const { native, arm64 } = both([]);
    expect(arm64.status).toBe(native.status);
    expect(arm64.stderr).toBe(native.stderr);
    expect(arm64.stderr).toContain('usage: hafen-run run|exec');
  });

  it.each([
    ['--ulimit', 'nofiles=1:2', '--ulimit NAME=SOFT:HARD'],
    ['--ulimit', 'nofile=3:2', '--ulimit NAME=SOFT:HARD'],
    ['--sysctl', 'net/../x=1', '--sysctl KEY=VALUE'],
    ['--ipc', 'other', '--ipc new|host|/proc/PID/ns/ipc'],
    ['--oom-score-adj', '-1001', '--oom-score-adj -1000..1000'],
    ['--shm-size', '-5', ''],
    ['--bind', 'no-colon', ''],
  ])('refuses %s %s as the native one does', (option, value, words) => {
    const { native, arm64 } = both(['run', '--rootfs', '/nonexistent', option, value, '--', 'true']);
    expect(native.status).toBe(125);
    expect(arm64.status).toBe(125);
    expect(arm64.stderr).toBe(native.stderr);
    expect(arm64.stderr).toContain(words);
  });

  it('makes the namespaces under qemu-user (which refuses them in clone) and fails at a missing rootfs as the native one does', () => {
    const { native, arm64 } = both(['run', '--rootfs', '/nonexistent', '--', 'true']);
    expect(native.status).toBe(125);
    expect(arm64.status).toBe(125);
    // The native launcher opens it with open_tree, the emulated one binds it by mount(2): qemu has no new mount API.
    for (const r of [native, arm64]) expect(r.stderr).toMatch(/^hafen-run: (open|bind) rootfs \/nonexistent: No such file or directory\n$/);
  });
});
