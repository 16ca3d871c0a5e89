/**
 * The environment reaches a container through hafen-run's --env-fd pipe: never on a command line
 * (which every user of the host reads in /proc/PID/cmdline), and values up to the kernel's own
 * limit on one string (128 KiB) arrive whole, for a container and for an exec into it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { execIn, launch } from './launch.js';
import type { LaunchSpec } from './spec.js';

/** Every process's command line on the host that contains `text`. */
function cmdlinesWith(text: string): string[] {
  const hits: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const line = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (line.includes(text)) hits.push(`${pid}: ${line.replaceAll('\0', ' ').slice(0, 200)}`);
    } catch {
      // gone meanwhile
    }
  }
  return hits;
}

const needs = unmet(requireRoot(), requireOverlay(), requireCommand('busybox'));

describe.skipIf(needs)('hafen-run: the environment through a pipe', () => {
  let base: string;
  let n = 0;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-launch-env-'));
    makeBusyboxRootfs(path.join(base, 'lower'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  function rootfs(): LaunchSpec['rootfs'] {
    const dir = path.join(base, `c${++n}`);
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    return { kind: 'overlay', lower: [path.join(base, 'lower')], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') };
  }

  it('gives a container and an exec their values, none of them on any command line', async () => {
    const secret = `s3cret-${randomBytes(12).toString('hex')}`;
    const other = `x${randomBytes(12).toString('hex')}`;
    const c = await launch({ rootfs: rootfs(), env: { PATH: '/bin', DB_PASSWORD: secret, EMPTY: '', EQ: 'a=b' }, command: ['sh', '-c', 'echo "$DB_PASSWORD|$EMPTY|$EQ"; sleep 100'] }, { stdio: 'pipe' });
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await c.go();
      await expect.poll(() => out).toBe(`${secret}||a=b\n`);
      const e = execIn(c.pid, { command: ['sh', '-c', 'echo "$TOKEN"; sleep 0.3'], env: { PATH: '/bin', TOKEN: other } }, { stdio: 'pipe' });
      let execOut = '';
      e.stdout?.on('data', (b: Buffer) => (execOut += b.toString()));
      await expect.poll(() => execOut).toBe(`${other}\n`);
      expect(cmdlinesWith(secret)).toEqual([]);
      expect(cmdlinesWith(other)).toEqual([]);
      expect(await e.wait()).toMatchObject({ code: 0 });
    } finally {
      c.kill('SIGKILL');
      await c.wait();
    }
  });

  it('passes a value just under the kernel limit of one string (128 KiB with its name) whole', async () => {
    const value = 'v'.repeat(128 * 1024 - 'BIG='.length - 1);
    const c = await launch({ rootfs: rootfs(), env: { BIG: value }, command: ['sh', '-c', 'printf %s "$BIG" | wc -c'] }, { stdio: 'pipe' });
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await c.go();
    expect(await c.wait()).toMatchObject({ kind: 'exited', code: 0 });
    expect(out.trim()).toBe(String(value.length));
  });

  it('passes 1.5 MiB of environment in all (under a quarter of an 8 MiB stack limit)', async () => {
    const env = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`V${i}`, String(i % 10).repeat(128 * 1024 - 8)]));
    const c = await launch({ rootfs: rootfs(), env, command: ['sh', '-c', 'printf %s "$V0$V11" | wc -c'] }, { stdio: 'pipe' });
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await c.go();
    expect(await c.wait()).toMatchObject({ kind: 'exited', code: 0 });
    expect(out.trim()).toBe(String(2 * (128 * 1024 - 8)));
  });
});
