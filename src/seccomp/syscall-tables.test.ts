import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireCommand, requireFile, unmet } from '../testing/requirements.js';
import { SYSCALL_TABLES } from './syscall-tables.generated.js';

describe('syscall tables', () => {
  it.skipIf(
    unmet(requireCommand('gcc'), requireCommand('aarch64-linux-gnu-gcc'), requireFile('/usr/arm-linux-gnueabihf/include/asm/unistd.h', "Debian's linux-libc-dev-armhf-cross")),
  )('match the kernel headers of this machine (scripts/gen-syscall-tables.mjs --check)', () => {
    const r = spawnSync(process.execPath, [path.resolve('scripts/gen-syscall-tables.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    ['x86_64', { read: 0, write: 1, openat: 257, keyctl: 250, clone3: 435 }],
    ['i386', { read: 3, socketcall: 102, keyctl: 288, clone3: 435 }],
    ['aarch64', { read: 63, openat: 56, keyctl: 219, clone: 220, fcntl: 25, fstat: 80 }],
    ['x32', { read: 0x40000000, rt_sigaction: 0x40000000 + 512, execve: 0x40000000 + 520, keyctl: 0x40000000 + 250 }],
    ['arm', { restart_syscall: 0, read: 3, socket: 281, keyctl: 311, clone3: 435, cacheflush: 0xf0002, set_tls: 0xf0005 }],
  ] as const)('%s has the well-known numbers', (arch, expected) => {
    expect(SYSCALL_TABLES[arch]).toMatchObject(expected);
  });

  it('lacks what an arch does not have, so the compiler skips it', () => {
    expect(SYSCALL_TABLES.aarch64).not.toHaveProperty('open');
    expect(SYSCALL_TABLES.aarch64).not.toHaveProperty('mkdir');
    expect(SYSCALL_TABLES.x86_64).not.toHaveProperty('socketcall');
    expect(SYSCALL_TABLES.arm).not.toHaveProperty('socketcall'); // EABI dropped it
  });
});
