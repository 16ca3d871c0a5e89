/**
 * The launcher on kernels without what it uses where present, forced here with HAFEN_RUN_WITHOUT.
 *
 * The container's mounts made by mount(2) where the kernel lacks the new mount API
 * (native/hafen-run-legacy-mount.c; forced here with HAFEN_RUN_WITHOUT=mount-api, as qemu-user and
 * kernels before 5.12 do it) are the very mounts the new API makes: the same mount points, types,
 * per-mount flags (ro, nosuid, nodev, noexec) and filesystem options, read-only submounts of a
 * read-only bind included, and a host bind never writable.
 *
 * Without close_range (Linux before 5.9) no fd of the launcher reaches the command either, and an
 * overlay of more layers than a page of mount(2) options holds is mounted all the same.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { hafenRunCommand } from './hafen-run-path.js';
import { runArgv, type LaunchSpec } from './spec.js';

const needs = unmet(requireRoot(), requireOverlay(), requireCommand('busybox'));

/** A mountinfo line without what differs from run to run (mount ids, device numbers, the test's folder). */
function mountLine(line: string, base: string): string {
  const [left = '', right = ''] = line.split(' - ');
  const f = left.split(' ');
  const [fstype, source, superOpts] = right.split(' ');
  // overlay's lower layers are given one by one (lowerdir+) by the new API, joined (lowerdir) by mount(2).
  const opts = (superOpts ?? '').replace('lowerdir+=', 'lowerdir=').replace(/\/c\d+\//g, '/CONTAINER/');
  return [f[3], f[4], f[5], fstype, fstype === 'overlay' ? 'overlay' : source, opts].join(' ').replaceAll(base, 'BASE');
}

describe.skipIf(needs)('hafen-run: mounts by mount(2) where the new mount API is missing', () => {
  let base: string;
  let lower: string;
  let n = 0;
  let sub: string; // a tmpfs on the host below a folder bound read-only

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-legacy-mounts-'));
    lower = path.join(base, 'lower');
    makeBusyboxRootfs(lower);
    fs.mkdirSync(path.join(base, 'data'));
    fs.writeFileSync(path.join(base, 'hosts'), '127.0.0.1 localhost\n');
    sub = path.join(base, 'data', 'sub');
    fs.mkdirSync(sub);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nosuid', 'tmpfs', sub]);
  });
  afterAll(() => {
    if (sub) spawnSync('umount', [sub]);
    fs.rmSync(base, { recursive: true, force: true });
  });

  const rows: [string, Partial<LaunchSpec>][] = [
    ['binds (rw, ro with a submount, a file), a tmpfs, a read-only rootfs', {
      readOnlyRootfs: true,
      tmpfs: [{ target: '/scratch', sizeBytes: 1 << 20, mode: 0o700, noexec: true }],
    }],
    ['the host network: /sys bound read-only from the host, submounts and all', { net: 'host' }],
    ['privileged: /sys writable, nothing masked', { privileged: true }],
  ];

  function mounts(spec: Partial<LaunchSpec>, env: Record<string, string>): { code: number | null; lines: string[]; err: string; writes: string } {
    const dir = path.join(base, `c${++n}`);
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    const argv = runArgv({
      rootfs: { kind: 'overlay', lower: [lower], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') },
      binds: [
        { source: path.join(base, 'data'), target: '/data' },
        { source: path.join(base, 'data'), target: '/ro', readOnly: true },
        { source: path.join(base, 'hosts'), target: '/etc/hosts', readOnly: true },
      ],
      ...spec,
      command: ['/bin/sh', '-c', 'cat /proc/self/mountinfo; echo ---; for f in /ro/x /ro/sub/x /etc/hosts; do /bin/touch $f 2>&1; done; true'],
    });
    const r = spawnSync(...hafenRunCommand(argv), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
    const [info = '', writes = ''] = r.stdout.split('---\n');
    return { code: r.status, lines: info.trim().split('\n').map((l) => mountLine(l, base)), err: r.stderr, writes };
  }

  it.each(rows)('%s', (_name, spec) => {
    const api = mounts(spec, {});
    const legacy = mounts(spec, { HAFEN_RUN_WITHOUT: 'mount-api' });
    expect(api.code, api.err).toBe(0);
    expect(legacy.lines).toEqual(api.lines);
    expect(legacy.writes).toBe(api.writes);
    // What both must say: the read-only bind and its submount refuse writes; nothing reached the host.
    expect(api.writes).toMatch(/touch: \/ro\/x: Read-only file system\ntouch: \/ro\/sub\/x: Read-only file system\ntouch: \/etc\/hosts: Read-only file system\n/);
    expect(fs.readdirSync(path.join(base, 'data')).sort()).toEqual(['sub']);
    expect(api.lines.find((l) => l.includes(' /ro/sub '))).toMatch(/^\/ \/ro\/sub ro,nosuid,/);
  });
});

describe.skipIf(needs)('hafen-run: no fd of the launcher reaches the command, with and without close_range', () => {
  let base: string;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-fds-'));
    makeBusyboxRootfs(path.join(base, 'root'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it.each([['close_range', {}], ['by hand', { HAFEN_RUN_WITHOUT: 'close_range' }]] as const)('%s', (_name, env) => {
    const argv = runArgv({ rootfs: { kind: 'dir', path: path.join(base, 'root') }, command: ['/bin/ls', '/proc/self/fd'] });
    // Two more fds open in the launcher, not close-on-exec: what a caller may hand it by mistake.
    const r = spawnSync(...hafenRunCommand(argv), { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    // stdio, and ls's own listing of /proc/self/fd.
    expect(r.stdout.trim().split('\n').sort()).toEqual(['0', '1', '2', '3']);
  });
});

describe.skipIf(needs)('hafen-run: an overlay of more layers than a page of mount(2) options holds', () => {
  let base: string;
  const LAYERS = 60;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-layers-'));
    // Paths of ~120 bytes each, as an image store's are: 60 of them pass mount(2)'s 4096 bytes.
    for (let i = 0; i < LAYERS; i++) {
      const dir = path.join(base, `layer-${String(i).padStart(2, '0')}-${'x'.repeat(100)}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, `from-${i}`), '');
    }
    makeBusyboxRootfs(path.join(base, `layer-${LAYERS - 1}-${'x'.repeat(100)}`)); // the bottom layer
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it.each([['the new mount API', {}], ['mount(2)', { HAFEN_RUN_WITHOUT: 'mount-api' }]] as const)('%s', (_name, env) => {
    const dir = fs.mkdtempSync(path.join(base, 'c-'));
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d));
    const lower = fs.readdirSync(base).filter((d) => d.startsWith('layer-')).sort().map((d) => path.join(base, d));
    expect(lower.join(':').length).toBeGreaterThan(4096);
    const argv = runArgv({
      rootfs: { kind: 'overlay', lower, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') },
      command: ['/bin/sh', '-c', 'ls / | grep -c ^from-'],
    });
    const r = spawnSync(...hafenRunCommand(argv), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
    expect({ code: r.status, out: r.stdout, err: r.stderr }).toEqual({ code: 0, out: `${LAYERS}\n`, err: '' });
  });
});
